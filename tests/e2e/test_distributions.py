"""End to end, issue 27: fleets and distributions as they really are.

- A system policy that NixOS builds (a link into /etc/static, itself a link into the store) is
  read through the real CLI and `status` names each managed key with its file; a link through
  a world-writable directory locks, naming the directory. The system root is the isolated
  home's (tests/apps/fleet.py), whose owner stands for root.
- A packager's `telemetry-defaults.toml` in the installation's prefix: a real virtual
  environment whose `sys.prefix` holds it runs lumogon, which then asks before sending (on a
  pseudo-terminal), names the packager default in `status --json`, and sends, once allowed, to
  the distribution's collector. The same file saying `mode = "opt-out"` to an opt-in app (the
  test app acme) changes nothing and warns.
"""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

import pytest

from consent.testing.collector import Collector
from consent.testing.home import Home
from lumogon import SPEC
from tests.apps import acme
from tests.e2e.test_fleet import fleet_spec, run, status
from tests.helpers import PROCESS_TIMEOUT, ROOT, SENDER_TIMEOUT, logged_hits, run_in_pty

POLICY = '[telemetry]\nmode = "local"\ndisabled_purposes = ["service-health"]\n'


def nixos_policy(home: Home) -> tuple[Path, Path]:
    """The system policy as NixOS builds /etc, in the home's system root: (location, file).
    Directories 0755, the store 1775 (group-writable, sticky), the file read-only."""
    location = home.system_policy_file(fleet_spec(home))
    root = home.system_root
    store = root / "nix" / "store"
    generation = store / "0a1b2c3d-etc" / "etc"
    real = generation / "xdg" / "lumogon" / "telemetry.toml"
    real.parent.mkdir(parents=True)
    location.parent.mkdir(parents=True)
    real.write_text(POLICY)
    real.chmod(0o444)
    for d in (root, *root.rglob("*")):
        if d.is_dir():
            d.chmod(0o1775 if d == store else 0o755)
    (root / "etc" / "static").symlink_to(generation)
    location.symlink_to("../../static/xdg/lumogon/telemetry.toml")
    return location, real


def test_a_nixos_policy_applies_each_managed_key_and_status_names_its_file(
    consent_home: Home,
) -> None:
    location, real = nixos_policy(consent_home)
    data = status(consent_home)
    assert data["warnings"] == []
    assert data["local"]["active"] is True and data["local"]["decided_by"]["path"] == str(location)
    assert data["purposes"]["service-health"]["decided_by"] == {
        "source": "policy",
        "detail": f"{location}: telemetry.disabled_purposes includes 'service-health' (admin lock)",
        "path": str(location),
        "key": "telemetry.disabled_purposes",
    }
    assert data["managed"] == [
        {"key": "telemetry.mode", "value": '"local"', "path": str(location), "note": None,
         "target": str(real)},
        {"key": "telemetry.disabled_purposes", "value": '["service-health"]',
         "path": str(location), "note": None, "target": str(real)},
    ]  # fmt: skip
    text = run(consent_home, "telemetry", "status").stdout
    for key in ("telemetry.mode", "telemetry.disabled_purposes"):
        assert f"{key} = " in text and f"from {location} (a link to {real})" in text
    policy = json.loads(run(consent_home, "telemetry", "policy", "--json").stdout)
    assert policy["mode"] == "local" and policy["files"][0]["target"] == str(real)


def test_a_link_through_a_world_writable_directory_locks_naming_it(consent_home: Home) -> None:
    location, real = nixos_policy(consent_home)
    consent_home.enable(fleet_spec(consent_home))  # the person said yes
    writable = real.parents[1]  # …/0a1b2c3d-etc/etc/xdg: anyone could swap what is below
    writable.chmod(0o777)
    data = status(consent_home)
    assert data["enabled"] is False and data["local"]["active"] is False
    why = (
        f"{location} is a symbolic link that is not followed: {writable} is writable by every user"
    )
    assert data["decided_by"]["source"] == "policy"
    assert data["decided_by"]["detail"] == f"{why}; treated as an admin lock (fail closed)"
    assert data["warnings"] == [f"admin policy {why}; treated as an admin lock (fail closed)"]
    refused = run(consent_home, "telemetry", "enable")
    assert refused.returncode == 1 and str(writable) in refused.stderr
    assert run(consent_home, "telemetry", "policy").returncode == 1  # a broken drop fails a check
    writable.chmod(0o755)


# --- a packager's defaults, in a real installation prefix ----------------------------------


def venv(where: Path) -> Path:
    """A virtual environment (its own sys.prefix) that imports this checkout's consent and
    lumogon: the installation a packager ships. Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True,
                   timeout=PROCESS_TIMEOUT)  # fmt: skip
    python = where / "bin" / "python"
    inner = subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                           capture_output=True, text=True, check=True, timeout=PROCESS_TIMEOUT)  # fmt: skip
    outer = [p for p in site.getsitepackages() if Path(p).is_dir()]
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in outer)
    Path(inner.stdout.strip(), "checkout.pth").write_text(f"{lines}{ROOT}\n")
    return python


def defaults(python: Path, app: str, body: str) -> Path:
    path = python.parent.parent / "share" / app / "telemetry-defaults.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return path


def interactive(home: Home) -> dict[str, str]:
    return {**home.env, "TERM": "dumb"}


@pytest.mark.slow
def test_a_packager_default_makes_lumogon_ask_and_sends_to_the_distribution(
    consent_home: Home, tmp_path: Path
) -> None:
    python = venv(tmp_path / "venv")
    with Collector() as collector:
        path = defaults(python, "lumogon", '[telemetry]\nmode = "opt-in"\n'
                        f'disabled_purposes = ["service-health"]\nendpoint = "{collector.url}"\n')  # fmt: skip
        # The person saw lumogon's opt-out notice in an earlier run, which would let it send;
        # the packager's opt-in means that is not consent.
        consent_home.write_config(
            SPEC, f'[telemetry]\nnotice_shown_version = "{SPEC.notice_version}"\n'
        )
        lumogon = [str(python), "-m", "lumogon"]
        data = json.loads(subprocess.run([*lumogon, "telemetry", "status", "--json"],
                          env=consent_home.env, capture_output=True, text=True,
                          timeout=PROCESS_TIMEOUT, check=True).stdout)  # fmt: skip
        assert (data["enabled"], data["pending"], data["mode"], data["app_mode"]) == (
            False, "question", "opt-in", "opt-out"
        )  # fmt: skip
        assert data["decided_by"]["source"] == "packager" and data["decided_by"]["path"] == str(
            path
        )
        assert data["packager_path"] == str(path)
        assert {(d["key"], d["path"]) for d in data["packager_defaults"]} == {
            ("telemetry.mode", str(path)), ("telemetry.disabled_purposes", str(path)),
            ("telemetry.endpoint", str(path)),
        }  # fmt: skip
        assert data["endpoint"]["source"] == "packager" and data["endpoint"]["url"] == collector.url
        packager = [s for s in data["sources"] if s["source"] == "packager"]
        assert len(packager) == 1 and packager[0]["path"] == str(path)

        asked = run_in_pty([*lumogon, "version"], interactive(consent_home), answer="y")
        assert asked.returncode == 0 and asked.stdout == "lumogon 0.1.0\n"
        assert "[y/N]" in asked.terminal
        read = " ".join(asked.terminal.split())  # as read: lines wrap at the terminal's width
        assert f"The packager of this installation changed the defaults ({path})" in read
        host = collector.url.split("://", 1)[1]
        assert f"Where: {host}, set by the packager of this installation" in read
        assert "service-health stays off" in read
        assert "Recorded: telemetry enabled for usage." in asked.terminal
        assert collector.received() == []  # nothing in the run that asked

        sent = subprocess.run([*lumogon, "version"], env=consent_home.env, capture_output=True,
                              text=True, timeout=PROCESS_TIMEOUT, check=False)  # fmt: skip
        assert sent.returncode == 0
        (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
        assert hit.params is not None and hit.params["cd"] == "lumogon version"
        (item,) = logged_hits(consent_home.locations(SPEC).log_file)
        assert str(item["url"]).startswith(collector.url)


@pytest.mark.slow
def test_a_packager_default_cannot_make_an_opt_in_app_opt_out(
    consent_home: Home, tmp_path: Path
) -> None:
    python = venv(tmp_path / "venv")
    path = defaults(python, "acme", '[telemetry]\nmode = "opt-out"\n')
    program = [str(python), str(ROOT / "tests" / "apps" / "acme.py")]
    proc = subprocess.run([*program, "telemetry", "status", "--json"], env=consent_home.env,
                          capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=True)  # fmt: skip
    data = json.loads(proc.stdout)
    assert (data["mode"], data["app_mode"], data["pending"]) == ("opt-in", "opt-in", "question")
    assert data["decided_by"]["source"] == "default"
    assert data["warnings"] == [
        f'{path}: telemetry.mode = "opt-out" is ignored: a packager default can only make '
        "telemetry stricter, and acme asks before sending (opt-in)"
    ]
    # Still asked, on a terminal; and Enter (No) records the refusal.
    asked = run_in_pty([*program, "build"], interactive(consent_home), answer="")
    assert "[y/N]" in asked.terminal and "packager" not in asked.terminal
    assert json.loads(subprocess.run([*program, "telemetry", "status", "--json"],
                      env=consent_home.env, capture_output=True, text=True,
                      timeout=PROCESS_TIMEOUT, check=True).stdout)["enabled"] is False  # fmt: skip
    assert acme.SPEC.mode == "opt-in"


def test_an_unreadable_packager_default_sends_nothing_but_says_why(
    consent_home: Home, tmp_path: Path
) -> None:
    python = venv(tmp_path / "venv")
    path = defaults(python, "lumogon", '[telemetry]\nmode = "opt-out-please"\n')
    consent_home.enable(SPEC)
    proc = subprocess.run([str(python), "-m", "lumogon", "telemetry", "status", "--json"],
                          env=consent_home.env, capture_output=True, text=True,
                          timeout=PROCESS_TIMEOUT, check=True)  # fmt: skip
    data = json.loads(proc.stdout)
    assert data["enabled"] is False and data["decided_by"]["source"] == "packager"
    assert str(path) in data["warnings"][0] and "fail closed" in data["warnings"][0]
