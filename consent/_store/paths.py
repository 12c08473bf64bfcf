"""Where an app's files live, per OS: platformdirs' answer, without its start-up cost on XDG.

platformdirs decides the locations. On Linux and the BSDs its answer is the XDG
Base Directory rule, which `_xdg_locations` computes directly: importing
platformdirs costs about 5 ms, as much as everything else on a disabled host
command. tests/store/test_paths.py holds the two to the same answer for any
environment. Computing a path never creates anything.

The admin policy is read from the OS's fixed system location first (`system_policy_paths`),
then from the places the environment adds (`XDG_CONFIG_DIRS`, platformdirs' site config dirs):
a variable can add a policy, never remove the organisation's.
"""

from __future__ import annotations

import os
import posixpath
import sys

from consent._core.names import (
    CONFIG_NAME,
    DEFAULTS_NAME,
    ID_FILE_NAME,
    LOG_NAME,
    MANAGED_PREFERENCES,
    POLICY_NAME,
    RECEIPTS_NAME,
    REGISTRY_PREFIX,
)
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._glance import XDG_PLATFORMS as _XDG_PLATFORMS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path


class Locations(Record):
    """The app's files. Kept as strings: the sending path never needs pathlib (about 12 ms to
    import); the Path properties are for everything else."""

    config_path: str
    policy_paths: tuple[str, ...]  # files, and on Windows the Group Policy key (REGISTRY_PREFIX)
    id_path: str
    log_path: str
    # A packager's defaults, `{sys.prefix}/share/<app>/telemetry-defaults.toml` ("": none read).
    defaults_path: str = ""
    # The system root the fixed policy locations are under (AppSpec.system_root; "" is `/`).
    system_root: str = ""

    @property
    def receipts_path(self) -> str:
        """The consent receipts, beside the log in the user state directory."""
        return os.path.join(os.path.dirname(self.log_path), RECEIPTS_NAME)

    @property
    def receipts_file(self) -> Path:
        from pathlib import Path

        return Path(self.receipts_path)

    @property
    def config_file(self) -> Path:
        from pathlib import Path

        return Path(self.config_path)

    @property
    def policy_files(self) -> tuple[Path, ...]:
        from pathlib import Path

        return tuple(Path(p) for p in self.policy_paths)

    @property
    def id_file(self) -> Path:
        from pathlib import Path

        return Path(self.id_path)

    @property
    def log_file(self) -> Path:
        from pathlib import Path

        return Path(self.log_path)


def system_policy_paths(
    app: str,
    bundle_id: str = "",
    *,
    platform: str | None = None,
    root: str = "",
    key: str = "",
    user: str | None = None,
) -> tuple[str, ...]:
    """The operating system's fixed policy locations for `app`, which no variable moves:

    - Linux and the BSDs: `/etc/xdg/<app>/telemetry.toml`;
    - macOS: `/Library/Application Support/<app>/telemetry.toml` and the managed preferences a
      configuration profile installs, machine-wide `/Library/Managed Preferences/<bundle
      id>.plist` and for this user `/Library/Managed Preferences/<user>/<bundle id>.plist`;
    - Windows: Group Policy, the registry key `HKLM\\<key>` (AppSpec.policy_key; read by
      consent/_store/sources.py, read_registry), then `<ProgramData>\\<app>\\telemetry.toml`, ProgramData as
      the OS reports it.

    `root` (absolute) stands for `/` (on Windows, the folder holding `ProgramData`), `platform`
    for `sys.platform` and `user` for the account running: tests look at another root, OS and
    user through these parameters, never through a variable a user could set.
    """
    platform = sys.platform if platform is None else platform
    base = root or "/"
    if platform.startswith(_XDG_PLATFORMS):
        return (_clean(os.path.join(base, "etc", "xdg", app, POLICY_NAME)),)
    if platform == "darwin":
        prefs = os.path.join(base, MANAGED_PREFERENCES.lstrip("/"))
        domain = f"{bundle_id or app}.plist"
        user = _account() if user is None else user
        return (
            _clean(os.path.join(base, "Library", "Application Support", app, POLICY_NAME)),
            _clean(os.path.join(prefs, domain)),
            *((_clean(os.path.join(prefs, user, domain)),) if user else ()),
        )
    if platform in ("win32", "cygwin"):
        group = (REGISTRY_PREFIX + key,) if key else ()
        if root:
            return (*group, os.path.join(root, "ProgramData", app, POLICY_NAME))
        import ntpath

        return (*group, ntpath.join(_program_data(), app, POLICY_NAME))
    return ()


def fixed_policy_paths(spec: AppSpec) -> tuple[str, ...]:
    """The app's fixed policy locations on this OS (see `system_policy_paths`)."""
    return system_policy_paths(
        spec.name, spec.bundle_id, root=spec.system_root, key=spec.policy_key
    )


def _account() -> str:
    """The name of the account running, from the user database (not `USER`, which a person
    sets: another name would read another person's managed preferences instead of theirs)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return ""


def defaults_path(app: str, prefix: str | None = None) -> str:
    """Where a packager's defaults for `app` live: `{sys.prefix}/share/<app>/telemetry-defaults.toml`
    (`prefix` stands for sys.prefix: the installation the running program belongs to)."""
    return os.path.join(sys.prefix if prefix is None else prefix, "share", app, DEFAULTS_NAME)


def _program_data() -> str:
    """ProgramData as the Windows shell reports it: not from %PROGRAMDATA% nor platformdirs'
    override variables, which a user sets. Elsewhere (a test of the layout), the default."""
    if sys.platform == "win32":
        try:
            from platformdirs.windows import get_win_folder_via_ctypes

            return get_win_folder_via_ctypes("CSIDL_COMMON_APPDATA")
        except Exception:  # noqa: BLE001, S110 - no shell API: the documented default
            pass
    return "C:\\ProgramData"


def with_system(spec: AppSpec, found: Locations) -> Locations:
    """`found` with the fixed system locations first; the environment's follow, once each; and
    the installation's packager defaults."""
    fixed = fixed_policy_paths(spec)
    added = tuple(p for p in found.policy_paths if p not in fixed)
    return found.replace(
        policy_paths=fixed + added,
        defaults_path=defaults_path(spec.name),
        system_root=spec.system_root,
    )


def locations(spec: AppSpec, environ: dict[str, str] | None = None) -> Locations:
    """The app's files (where `environ` says, else the process's variables, on the platforms
    whose locations come from them); raises ConfigError when no home directory can be found."""
    found = _xdg_locations(spec.name, os.environ if environ is None else environ)
    if found is not None:
        return with_system(spec, found)
    try:
        found = _platformdirs_locations(spec.name)
    except (RuntimeError, KeyError, OSError) as exc:  # platformdirs: "could not determine..."
        problem = str(exc)
    else:
        # Older platformdirs return "~/.config/..." unexpanded: a path relative to the cwd.
        paths = (found.config_path, found.id_path, found.log_path, *found.policy_paths)
        if all(os.path.isabs(p) for p in paths):
            return with_system(spec, found)
        problem = f"no home directory ({found.config_file} is not an absolute path)"
    from consent._errors import ConfigError

    raise ConfigError(
        f"cannot tell where {spec.name} keeps its files: {problem}",
        hint="set HOME (or XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_STATE_HOME) to an absolute "
        "directory; nothing is sent until then",
    )


def _platformdirs_locations(name: str) -> Locations:
    from platformdirs import PlatformDirs

    dirs = PlatformDirs(name, appauthor=False, multipath=True)
    # multipath joins the site config dirs with os.pathsep; each may hold a policy.
    site = [p for p in dirs.site_config_dir.split(os.pathsep) if p]
    return Locations(
        config_path=_clean(os.path.join(dirs.user_config_dir, CONFIG_NAME)),
        policy_paths=tuple(_clean(os.path.join(p, POLICY_NAME)) for p in site),
        id_path=_clean(os.path.join(dirs.user_data_dir, ID_FILE_NAME)),
        log_path=_clean(os.path.join(dirs.user_state_dir, LOG_NAME)),
    )


def _clean(path: str) -> str:
    """The path as str(Path(path)) spells it, without importing pathlib."""
    if os.sep == "/":
        lead = "//" if path.startswith("//") and not path.startswith("///") else ""
        parts = [p for p in path.split("/") if p not in ("", ".")]
        return lead + ("/" if path.startswith("/") and not lead else "") + "/".join(parts) or "."
    from pathlib import Path

    return str(Path(path))


def _xdg_locations(name: str, env: os._Environ[str] | dict[str, str]) -> Locations | None:
    """The XDG answer, or None where platformdirs must be asked (other OSes, Android, no home)."""
    if not sys.platform.startswith(_XDG_PLATFORMS) or hasattr(sys, "getandroidapilevel"):
        return None
    if env.get("ANDROID_DATA") == "/data" and env.get("ANDROID_ROOT") == "/system":
        return None
    home = _home(env)
    if home is None:
        return None

    def user_dir(var: str, default: str) -> str:
        value = env.get(var, "")
        return value if posixpath.isabs(value) else posixpath.join(home, default)

    site = [p for p in env.get("XDG_CONFIG_DIRS", "").split(os.pathsep) if posixpath.isabs(p)]
    return Locations(
        config_path=_clean(
            posixpath.join(user_dir("XDG_CONFIG_HOME", ".config"), name, CONFIG_NAME)
        ),
        policy_paths=tuple(
            _clean(posixpath.join(p, name, POLICY_NAME)) for p in site or ["/etc/xdg"]
        ),
        id_path=_clean(
            posixpath.join(user_dir("XDG_DATA_HOME", ".local/share"), name, ID_FILE_NAME)
        ),
        log_path=_clean(posixpath.join(user_dir("XDG_STATE_HOME", ".local/state"), name, LOG_NAME)),
    )


def _home(env: os._Environ[str] | dict[str, str]) -> str | None:
    home = env.get("HOME")
    if home is None or not posixpath.isabs(home):
        try:
            import pwd

            home = pwd.getpwuid(os.getuid()).pw_dir
        except (ImportError, KeyError):
            return None
    home = home.rstrip("/") or "/"
    return home if posixpath.isabs(home) else None
