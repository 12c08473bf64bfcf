"""Where an app's files live, per OS, from platformdirs.

Computing a path never creates anything: platformdirs is asked with ensure_exists
left off, and nothing here touches the disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from consent.spec import AppSpec

CONFIG_NAME = "config.toml"
POLICY_NAME = "telemetry.toml"
ID_FILE_NAME = "client-id"
LOG_NAME = "telemetry-log.jsonl"


@dataclass(frozen=True)
class Locations:
    config_file: Path
    policy_files: tuple[Path, ...]
    id_file: Path
    log_file: Path


def locations(spec: AppSpec) -> Locations:
    from platformdirs import PlatformDirs

    dirs = PlatformDirs(spec.name, appauthor=False, multipath=True)
    # multipath joins XDG_CONFIG_DIRS entries with os.pathsep; each may hold a policy.
    site = [Path(p) for p in dirs.site_config_dir.split(os.pathsep) if p]
    return Locations(
        config_file=Path(dirs.user_config_dir) / CONFIG_NAME,
        policy_files=tuple(p / POLICY_NAME for p in site),
        id_file=Path(dirs.user_data_dir) / ID_FILE_NAME,
        log_file=Path(dirs.user_state_dir) / LOG_NAME,
    )
