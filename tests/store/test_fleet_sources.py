"""Issue 16, in process: the OS's fixed policy locations per platform (a parameter, never a
variable), macOS managed preferences read with plistlib, managed keys read exactly, and the
bounded per-project search."""

from __future__ import annotations

import os
import plistlib
from pathlib import Path

import pytest

from consent._core.names import PROJECT_MAX_LEVELS
from consent._core.records import policy_terms
from consent._core.rules import ProjectReading
from consent._store.paths import Locations, locations, system_policy_paths
from consent._store.sources import read_policies, read_project, resolve
from consent._store.tomlread import TomlReading
from lumogon import SPEC

PURPOSES = SPEC.purpose_names


def test_fixed_locations_per_platform(tmp_path: Path) -> None:
    assert system_policy_paths("lumogon", platform="linux") == ("/etc/xdg/lumogon/telemetry.toml",)
    assert system_policy_paths("lumogon", platform="freebsd14") == (
        "/etc/xdg/lumogon/telemetry.toml",
    )
    assert system_policy_paths("lumogon", "com.example.lumogon", platform="darwin", user="ada") == (
        "/Library/Application Support/lumogon/telemetry.toml",
        "/Library/Managed Preferences/com.example.lumogon.plist",
        "/Library/Managed Preferences/ada/com.example.lumogon.plist",
    )
    # The account is the one running, from the user database: USER names no other person's.
    import pwd

    me = pwd.getpwuid(os.getuid()).pw_name
    paths = system_policy_paths("lumogon", platform="darwin")
    assert paths[2] == f"/Library/Managed Preferences/{me}/lumogon.plist"
    assert system_policy_paths("lumogon", platform="darwin", user="")[2:] == ()
    assert system_policy_paths("lumogon", platform="win32") == (
        "C:\\ProgramData\\lumogon\\telemetry.toml",
    )
    assert system_policy_paths("lumogon", platform="win32", key=SPEC.policy_key) == (
        "HKLM\\SOFTWARE\\Policies\\Lumogon\\lumogon",
        "C:\\ProgramData\\lumogon\\telemetry.toml",
    )
    root = str(tmp_path)
    assert system_policy_paths("lumogon", platform="darwin", root=root, user="ada")[1:] == (
        f"{root}/Library/Managed Preferences/lumogon.plist",
        f"{root}/Library/Managed Preferences/ada/lumogon.plist",
    )
    assert system_policy_paths("lumogon", platform="win32", root=root) == (
        f"{root}/ProgramData/lumogon/telemetry.toml",
    )


def test_no_variable_removes_or_moves_the_fixed_location(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("XDG_CONFIG_DIRS", "/nowhere"), ("XDG_CONFIG_DIRS", ""),
                        ("PROGRAMDATA", "/nowhere"), ("WIN_PD_OVERRIDE_COMMON_APPDATA", "/x")):  # fmt: skip
        monkeypatch.setenv(name, value)
        assert locations(SPEC).policy_paths[0] == "/etc/xdg/lumogon/telemetry.toml"
    monkeypatch.setenv("XDG_CONFIG_DIRS", "/etc/xdg:/opt/site")
    assert locations(SPEC).policy_paths == (
        "/etc/xdg/lumogon/telemetry.toml",
        "/opt/site/lumogon/telemetry.toml",
    )


def policies(tmp_path: Path, *paths: str) -> Locations:
    return Locations(
        str(tmp_path / "config.toml"), paths, str(tmp_path / "id"), str(tmp_path / "log")
    )


def plist(tmp_path: Path, data: object) -> str:
    """Managed preferences as a configuration profile installs them, in a temporary macOS root."""
    path = Path(system_policy_paths("lumogon", platform="darwin", root=str(tmp_path))[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(plistlib.dumps(data) if not isinstance(data, bytes) else data)
    return str(path)


def test_managed_preferences_lock_set_a_mode_and_skip_the_profile_keys(tmp_path: Path) -> None:
    path = plist(tmp_path, {"enabled": False, "PayloadUUID": "ABC", "PayloadVersion": 1})
    (reading,) = read_policies(policies(tmp_path, path), PURPOSES)
    assert reading.state == "ok" and reading.locks and not reading.problem
    path = plist(tmp_path, {"mode": "local", "disabled_purposes": ["service-health"]})
    (reading,) = read_policies(policies(tmp_path, path), PURPOSES)
    assert reading.local and reading.locked_purposes == ("service-health",) and not reading.locks
    assert dict(reading.settings) == {
        "telemetry.mode": '"local"',
        "telemetry.disabled_purposes": '["service-health"]',
    }


@pytest.mark.parametrize(
    "data", [b"<plist><dict><key>enabled</key>", ["enabled"], {"enabled": "no"}, {"colour": 1}]
)
def test_a_managed_preferences_file_that_cannot_be_read_exactly_locks(
    tmp_path: Path, data: object
) -> None:
    (reading,) = read_policies(policies(tmp_path, plist(tmp_path, data)), PURPOSES)
    assert reading.locks and (reading.state == "error" or reading.problem)


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        ("https://collector.example.org/ga", ""),
        ("http://127.0.0.1:8080", ""),
        ("http://collector.example.org", "only https://"),
        ("collector.example.org", "not a valid URL"),
        ("https://user@collector.example.org", "nothing else"),
        (42, "must be a URL string"),
    ],
)
def test_a_managed_endpoint_is_https_or_it_locks(endpoint: object, problem: str) -> None:
    terms = policy_terms({"telemetry": {"endpoint": endpoint}}, PURPOSES)
    if problem:
        assert terms.locks and problem in terms.problem and "telemetry.endpoint" in terms.problem
    else:
        assert not terms.locks and terms.endpoint == endpoint


def test_mode_off_locks_and_names_its_key() -> None:
    terms = policy_terms({"telemetry": {"mode": "off"}}, PURPOSES)
    assert terms.locks and not terms.problem and terms.lock_key == "telemetry.mode"
    bad = policy_terms({"telemetry": {"mode": "quiet"}}, PURPOSES)
    assert bad.locks and "'off'" in bad.problem


def tree(tmp_path: Path, depth: int) -> tuple[Path, Path]:
    home = tmp_path / "home"
    inner = home.joinpath(*(f"d{i}" for i in range(depth)))
    inner.mkdir(parents=True)
    return home, inner


def opt_out(where: Path, body: str = "[telemetry]\nenabled = false\n") -> Path:
    (where / ".lumogon").mkdir(exist_ok=True)
    path = where / ".lumogon" / "telemetry.toml"
    path.write_text(body)
    return path


def test_the_project_search_goes_up_to_home_and_no_further(tmp_path: Path) -> None:
    home, inner = tree(tmp_path, 4)
    assert read_project("lumogon", str(inner), str(home)).state == "missing"
    found = opt_out(home)  # the home directory itself counts
    got = read_project("lumogon", str(inner), str(home))
    assert got.path == str(found) and got.disables
    found.unlink()
    opt_out(tmp_path)  # above home: not this person's project
    got = read_project("lumogon", str(inner), str(home))
    assert got.state == "missing" and str(home) in got.searched


def test_the_project_search_is_bounded(tmp_path: Path) -> None:
    home, inner = tree(tmp_path, PROJECT_MAX_LEVELS + 2)
    opt_out(home)
    got = read_project("lumogon", str(inner), str(home))
    assert got.state == "missing" and "limit" in got.searched
    near = inner.parents[PROJECT_MAX_LEVELS - 2]
    assert read_project("lumogon", str(inner), str(home)).path == ""
    opt_out(near)
    assert read_project("lumogon", str(inner), str(home)).disables


def test_a_project_file_only_restricts(tmp_path: Path) -> None:
    home, inner = tree(tmp_path, 1)
    opt_out(inner, "[telemetry]\nenabled = true\n")
    got = read_project("lumogon", str(inner), str(home))
    assert not got.disables and got.enable_ignored
    for body in ("[telemetry]\nenabled = 1\n", "[telemetry]\nmode = 'send'\n", "x = 1\n", "[[["):
        opt_out(inner, body)
        got = read_project("lumogon", str(inner), str(home))
        assert got.disables and got.problem, body


def test_special_files_in_the_project_place_neither_block_nor_enable(tmp_path: Path) -> None:
    home, inner = tree(tmp_path, 1)
    (inner / ".lumogon").write_text("a file where the directory would be")
    assert read_project("lumogon", str(inner), str(home)).state == "missing"
    (inner / ".lumogon").unlink()
    (inner / ".lumogon").mkdir()
    os.mkfifo(inner / ".lumogon" / "telemetry.toml")  # would block an ordinary open
    got = read_project("lumogon", str(inner), str(home))
    assert got.state == "error" and got.disables


def test_resolve_reads_the_project_of_the_working_directory(tmp_path: Path) -> None:
    home, inner = tree(tmp_path, 2)
    path = opt_out(home / "d0")
    locs = policies(tmp_path, str(tmp_path / "none.toml"))
    decision = resolve(SPEC, environ={}, locs=locs, cwd=str(inner), home=str(home))
    assert decision.decided_by.source == "project" and decision.decided_by.origin["path"] == str(
        path
    )
    fast = resolve(SPEC, environ={}, locs=locs, cwd=str(inner), home=str(home), full=False)
    assert fast.decided_by.source == "project"


def test_the_admin_guides_profile_installs_a_policy_the_toolkit_reads(tmp_path: Path) -> None:
    """docs/admin.md's configuration profile: its settings payload, as macOS writes it to
    /Library/Managed Preferences, is read as the policy it claims to be."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "admin.md").read_text("utf-8")
    xml = text.split("```xml\n", 1)[1].split("```", 1)[0]
    profile = plistlib.loads(xml.encode("utf-8"))
    (payload,) = profile["PayloadContent"]
    assert payload["PayloadType"] == (SPEC.bundle_id or SPEC.name)
    (reading,) = read_policies(policies(tmp_path, plist(tmp_path, payload)), PURPOSES)
    assert reading.local and reading.locked_purposes == ("service-health",) and not reading.problem


def test_every_way_a_managed_preferences_file_cannot_be_read_is_named_and_locks(
    tmp_path: Path,
) -> None:
    """Each refusal of the plist reader, exactly: its state, its reason and what `status` says."""
    from consent._store.sources import _read_plist
    from consent._store.tomlread import MAX_BYTES

    good = plist(tmp_path, {"enabled": False})
    folder = Path(good).parent
    missing = str(folder / "missing.plist")
    assert _read_plist(missing) == TomlReading(missing, "missing", {})
    (reading,) = read_policies(policies(tmp_path, missing), PURPOSES)
    assert (reading.state, reading.locks, reading.problem) == ("missing", False, "")

    def refused(path: Path | str, reason: str, problem: str) -> None:
        assert _read_plist(str(path)) == TomlReading(str(path), "error", {}, reason, problem)
        (reading,) = read_policies(policies(tmp_path, str(path)), PURPOSES)
        assert (reading.state, reading.locks, reading.problem) == ("error", True, problem)

    link = folder / "link.plist"
    link.symlink_to(good)  # a link whose way anyone could change is not read through
    got = _read_plist(str(link))
    assert (got.state, got.reason) == ("error", "special")
    assert got.problem.startswith("is a symbolic link that is not followed: ")
    (reading,) = read_policies(policies(tmp_path, str(link)), PURPOSES)
    assert (reading.state, reading.locks, reading.problem) == ("error", True, got.problem)
    os.mkfifo(folder / "fifo.plist")
    refused(folder / "fifo.plist", "special", "is not a regular file")
    (folder / "dir.plist").mkdir()
    refused(folder / "dir.plist", "special", "is a directory, not a regular file")
    refused(f"{good}/under.plist", "unreadable", "cannot be read (Not a directory)")
    (folder / "big.plist").write_bytes(b" " * (MAX_BYTES + 1))
    refused(folder / "big.plist", "too_large", "is too large")
    (folder / "list.plist").write_bytes(plistlib.dumps(["enabled"]))
    refused(folder / "list.plist", "invalid", "is not a dictionary property list")
    (folder / "broken.plist").write_bytes(b"<plist><dict>")
    problem = "is not a property list (no element found: line 1, column 13)"
    refused(folder / "broken.plist", "invalid", problem)
    (folder / "edge.plist").write_bytes(plistlib.dumps({"enabled": False}).ljust(MAX_BYTES))
    assert _read_plist(str(folder / "edge.plist")).state == "ok"  # the limit itself is allowed


def test_the_project_search_reports_what_it_found_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, inner = tree(tmp_path, 1)
    path = opt_out(inner)
    assert read_project("lumogon", str(inner), str(home)) == ProjectReading(str(path), "ok", True)
    # Without `home`, the home directory is HOME's.
    opt_out(tmp_path)
    path.unlink()
    monkeypatch.setenv("HOME", str(home))
    got = read_project("lumogon", str(inner))
    assert got.state == "missing" and not got.disables
    assert got.searched == f"(.lumogon/telemetry.toml in {inner} or above it, up to {home})"
    # Without `cwd`, the working directory; when it is gone, no project file can be looked
    # for, and that fails closed, naming the directory $PWD names.
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    monkeypatch.setenv("PWD", str(gone))
    gone.rmdir()
    assert read_project("lumogon") == ProjectReading(
        "",
        "error",
        True,
        f"the working directory ({gone}, as $PWD says) cannot be read (No such file or "
        "directory), so no project file can be looked for",
    )


def test_the_bounded_search_finds_nothing_and_does_not_disable(tmp_path: Path) -> None:
    home, inner = tree(tmp_path, PROJECT_MAX_LEVELS + 2)
    got = read_project("lumogon", str(inner), str(home))
    assert (got.path, got.state, got.disables, got.problem) == ("", "missing", False, "")
    assert got.searched == (
        f"(.lumogon/telemetry.toml in {inner} or the {PROJECT_MAX_LEVELS - 1} directories "
        "above it, the search's limit)"
    )


def test_a_home_spelled_through_a_link_still_bounds_the_search(tmp_path: Path) -> None:
    """HOME is a link to the real home; the working directory is spelled physically. The
    search stops at the real home all the same: a file above it is not this person's."""
    real = tmp_path / "real"
    (real / "work").mkdir(parents=True)
    (tmp_path / "link").symlink_to(real)
    opt_out(tmp_path)
    got = read_project("lumogon", str(real / "work"), str(tmp_path / "link"))
    assert got.state == "missing" and not got.disables
    assert got.searched.endswith(f"up to {real})")


def test_the_fast_path_stops_at_a_project_opt_out_and_a_full_read_goes_on(tmp_path: Path) -> None:
    from consent._store.sources import gather

    home, inner = tree(tmp_path, 1)
    opt_out(inner)
    locs = policies(tmp_path, str(tmp_path / "none.toml"))
    fast = gather(SPEC, environ={}, locs=locs, cwd=str(inner), home=str(home), full=False)
    assert fast.project is not None and fast.project.disables and fast.config is None
    full = gather(SPEC, environ={}, locs=locs, cwd=str(inner), home=str(home))
    assert full.config is not None and full.config.path == locs.config_path


def test_per_user_managed_preferences_are_read_like_the_machine_wide_ones(tmp_path: Path) -> None:
    """A profile scoped to one user installs `/Library/Managed Preferences/<user>/<id>.plist`."""
    paths = system_policy_paths("lumogon", platform="darwin", root=str(tmp_path), user="ada")
    mine = Path(paths[2])
    mine.parent.mkdir(parents=True)
    mine.write_bytes(plistlib.dumps({"PayloadUUID": "X", "disabled_purposes": ["usage"]}))
    readings = read_policies(policies(tmp_path, *paths), PURPOSES)
    assert [r.state for r in readings] == ["missing", "missing", "ok"]
    assert readings[2].locked_purposes == ("usage",) and not readings[2].locks
    decision = resolve(SPEC, environ={}, locs=policies(tmp_path, *paths), cwd=str(tmp_path))
    usage = decision.for_purpose("usage")
    assert usage is not None and usage.decided_by.origin["path"] == str(mine)
    mine.write_bytes(b"<plist>")  # unreadable: locks, as the machine-wide one would
    decision = resolve(SPEC, environ={}, locs=policies(tmp_path, *paths), cwd=str(tmp_path))
    assert decision.decided_by.source == "policy" and str(mine) in decision.warnings[0]


def test_nested_project_files_are_reported_nearest_first_passed_and_ignored(
    tmp_path: Path,
) -> None:
    """Every file the search went past is named (`passed`), and those whose `enabled = true` it
    ignored; the one that decides is the first that disables, or else the nearest."""
    home, inner = tree(tmp_path, 2)
    outer = inner.parent
    near = opt_out(inner, "[telemetry]\nenabled = true\n")
    middle = opt_out(outer, "[telemetry]\n")
    far = opt_out(home)
    assert read_project("lumogon", str(inner), str(home)) == ProjectReading(
        str(far), "ok", True, passed=(str(near), str(middle)), ignored=(str(near),)
    )
    far.write_text("[telemetry]\ncolour = 1\n")  # cannot be read exactly: it disables
    got = read_project("lumogon", str(inner), str(home))
    assert (got.path, got.disables, got.passed) == (str(far), True, (str(near), str(middle)))
    assert "colour" in got.problem
    far.unlink()
    far.mkdir()  # a directory where the file should be: fails closed, naming what it passed
    got = read_project("lumogon", str(inner), str(home))
    assert (got.path, got.state, got.disables) == (str(far), "error", True)
    assert (got.passed, got.ignored) == ((str(near), str(middle)), (str(near),))
    far.rmdir()
    searched = f"(.lumogon/telemetry.toml in {inner} or above it, up to {home})"
    assert read_project("lumogon", str(inner), str(home)) == ProjectReading(
        str(near), "ok", False, enable_ignored=True, searched=searched, passed=(str(middle),)
    )
    near.write_text("[telemetry]\n")
    middle.write_text("[telemetry]\nenabled = true\n")
    assert read_project("lumogon", str(inner), str(home)) == ProjectReading(
        str(near),
        "ok",
        False,
        searched=searched,
        passed=(str(middle),),
        ignored=(str(middle),),
    )


def test_the_project_search_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative home bounds nothing; a working directory spelled with a trailing separator
    names the file as any other; a search that meets no home ends at the root; a `.lumogon`
    link that loops is seen (not followed) and fails closed; a directory without a `.lumogon`
    entry costs no read; a working directory gone without $PWD is said so."""
    from consent._store import tomlread

    home, inner = tree(tmp_path, 2)
    monkeypatch.chdir(tmp_path)
    above = opt_out(tmp_path)
    got = read_project("lumogon", str(inner), "home")  # relative: not where the search stops
    assert (got.path, got.disables) == (str(above), True)
    above.unlink()
    here = opt_out(inner)
    assert read_project("lumogon", str(inner) + os.sep, str(home)).path == str(here)
    here.unlink()
    got = read_project("lumogon", str(inner), str(tmp_path / "elsewhere"))
    assert got.state == "missing" and got.searched.endswith(" up to /)"), got.searched
    reads: list[str] = []
    real = tomlread.read_toml

    def counted(path: str, **kwargs: object) -> object:
        reads.append(path)
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tomlread, "read_toml", counted)
    (inner / ".lumogon").rmdir()
    (tmp_path / ".lumogon").rmdir()
    assert read_project("lumogon", str(inner), str(home)).state == "missing"
    assert reads == []  # no `.lumogon` anywhere: nothing opened
    (inner / ".lumogon").symlink_to(inner / ".lumogon")
    got = read_project("lumogon", str(inner), str(home))
    assert (got.state, got.disables) == ("error", True) and reads == [got.path]
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    monkeypatch.delenv("PWD", raising=False)
    gone.rmdir()
    assert read_project("lumogon").problem == (
        "the working directory cannot be read (No such file or directory), so no project "
        "file can be looked for"
    )


def test_a_whole_configuration_profile_at_the_managed_preferences_locks(tmp_path: Path) -> None:
    """A `.mobileconfig` copied where macOS writes managed preferences: its settings sit in
    payloads, not at the top level, and cannot be read exactly: it locks, saying so."""
    from consent._store.sources import _read_plist

    payload = {"PayloadType": SPEC.name, "enabled": True}
    path = plist(tmp_path, {"PayloadContent": [payload], "PayloadType": "Configuration"})
    problem = (
        "is a whole configuration profile (PayloadContent), not the managed preferences it "
        "installs: its settings cannot be read exactly"
    )
    assert _read_plist(path) == TomlReading(path, "error", {}, "invalid", problem)
    (reading,) = read_policies(policies(tmp_path, path), PURPOSES)
    assert (reading.state, reading.locks, reading.problem) == ("error", True, problem)
    # Its own Payload… keys beside the settings are skipped, not read as settings.
    path = plist(tmp_path, {"PayloadType": SPEC.name, "PayloadUUID": "x", "enabled": False})
    assert _read_plist(path).doc == {"telemetry": {"enabled": False}}
