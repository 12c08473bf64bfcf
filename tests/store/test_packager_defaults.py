"""Issue 27, point 2: a packager's `telemetry-defaults.toml`, from the file to what a person is
told. Read exactly (consent/_core/records.py, defaults_terms) through the bounded TOML reader;
a source weaker than the person's config (consent/_core/rules.py); read last, and not at all on
the fast path once the config turned every purpose off."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from consent._core.records import DefaultsTerms, defaults_terms
from consent._core.rules import DecidedBy, PackagerReading
from consent._notice.packaged import packager_text
from consent._notice.prompts import first_run_text, question_text
from consent._store.paths import Locations, defaults_path, locations
from consent._store.sources import gather, read_packager, recheck, resolve
from consent._store.tomlread import MAX_BYTES
from lumogon import SPEC
from tests.helpers import enabled_config

PURPOSES = SPEC.purpose_names


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({}, DefaultsTerms()),
        ({"telemetry": {}}, DefaultsTerms()),
        ({"telemetry": {"mode": "opt-in"}},
         DefaultsTerms(mode="opt-in", settings=(("telemetry.mode", '"opt-in"'),))),
        ({"telemetry": {"mode": "opt-out"}},
         DefaultsTerms(mode="opt-out", settings=(("telemetry.mode", '"opt-out"'),))),
        ({"telemetry": {"disabled_purposes": "service-health"}},
         DefaultsTerms(off_purposes=("service-health",),
                       settings=(("telemetry.disabled_purposes", '"service-health"'),))),
        ({"telemetry": {"endpoint": "https://c.example/x"}},
         DefaultsTerms(endpoint="https://c.example/x",
                       settings=(("telemetry.endpoint", '"https://c.example/x"'),))),
        ({"telemetry": {"mode": "off"}},
         DefaultsTerms("'telemetry.mode' must be 'opt-in' or 'opt-out', found 'off'",
                       settings=(("telemetry.mode", '"off"'),))),
        ({"telemetry": {"enabled": False}},
         DefaultsTerms("has the unknown key 'telemetry.enabled' (only 'mode', 'disabled_purposes', "
                       "'endpoint' are read)", settings=(("telemetry.enabled", "false"),))),
        ({"telemetry": {"endpoint": "http://c.example"}},
         DefaultsTerms("'telemetry.endpoint' 'http://c.example' is not allowed: only https://, or "
                       "http:// on a loopback address; nothing is sent",
                       settings=(("telemetry.endpoint", '"http://c.example"'),))),
        ({"telemetry": {"disabled_purposes": ["maps"]}},
         DefaultsTerms("'telemetry.disabled_purposes' names 'maps', which is not a purpose of this "
                       "app (its purposes: usage, service-health)",
                       settings=(("telemetry.disabled_purposes", '["maps"]'),))),
        ({"mode": "opt-in"}, DefaultsTerms("has the key 'mode' outside the 'telemetry' table")),
        ({"telemetry": 1}, DefaultsTerms("'telemetry' must be a table, found int")),
    ],
)  # fmt: skip
def test_defaults_are_read_exactly(doc: dict[str, object], expected: DefaultsTerms) -> None:
    assert defaults_terms(doc, PURPOSES) == expected


def locs_with(tmp_path: Path, body: str | None) -> Locations:
    path = tmp_path / "share" / "lumogon" / "telemetry-defaults.toml"
    if body is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return Locations(str(tmp_path / "config.toml"), (str(tmp_path / "policy.toml"),),
                     str(tmp_path / "id"), str(tmp_path / "log"), str(path))  # fmt: skip


def test_the_file_lives_under_the_installations_prefix() -> None:
    assert defaults_path("lumogon", "/usr") == "/usr/share/lumogon/telemetry-defaults.toml"
    assert defaults_path("lumogon") == f"{sys.prefix}/share/lumogon/telemetry-defaults.toml"
    assert locations(SPEC).defaults_path == defaults_path("lumogon")


def test_each_reading_says_what_it_found(tmp_path: Path) -> None:
    locs = locs_with(tmp_path, None)
    assert read_packager(locs, PURPOSES) == PackagerReading(locs.defaults_path, "missing")
    assert read_packager(Locations("c", (), "i", "l"), PURPOSES) is None  # no path: not read
    locs = locs_with(tmp_path, '[telemetry]\nmode = "opt-in"\n')
    got = read_packager(locs, PURPOSES)
    assert got is not None and (got.state, got.mode, got.problem) == ("ok", "opt-in", "")
    locs = locs_with(tmp_path, "[telemetry\n")
    got = read_packager(locs, PURPOSES)
    assert got is not None and got.state == "error" and got.problem.startswith("is not valid TOML")
    locs = locs_with(tmp_path, "#" * (MAX_BYTES + 1))  # the same caps as every TOML file
    got = read_packager(locs, PURPOSES)
    assert got is not None and got.problem.startswith("is larger than")


def test_a_link_to_the_defaults_is_followed(tmp_path: Path) -> None:
    """A Nix python environment links each package's share/ into its prefix."""
    package = tmp_path / "store" / "lumogon" / "telemetry-defaults.toml"
    package.parent.mkdir(parents=True)
    package.write_text('[telemetry]\nmode = "opt-in"\n')
    locs = locs_with(tmp_path, None)
    Path(locs.defaults_path).parent.mkdir(parents=True)
    Path(locs.defaults_path).symlink_to(package)
    got = read_packager(locs, PURPOSES)
    assert got is not None and got.mode == "opt-in"


def test_read_last_and_not_once_the_config_turned_everything_off(tmp_path: Path) -> None:
    locs = locs_with(tmp_path, '[telemetry]\nmode = "opt-in"\n')
    (tmp_path / "config.toml").write_text("[telemetry]\nenabled = false\n")
    fast = gather(SPEC, environ={}, locs=locs, full=False, cwd=str(tmp_path), home=str(tmp_path))
    assert fast.config is not None and fast.packager is None
    full = gather(SPEC, environ={}, locs=locs, cwd=str(tmp_path), home=str(tmp_path))
    assert full.packager is not None and full.packager.mode == "opt-in"
    (tmp_path / "config.toml").write_text("")
    fast = gather(SPEC, environ={}, locs=locs, full=False, cwd=str(tmp_path), home=str(tmp_path))
    assert fast.packager is not None  # the config decides nothing: the default matters


def test_a_default_not_a_lock_the_persons_enable_wins(tmp_path: Path) -> None:
    locs = locs_with(tmp_path, '[telemetry]\nmode = "opt-in"\ndisabled_purposes = ["usage"]\n')
    decision = resolve(SPEC, environ={}, locs=locs, cwd=str(tmp_path), home=str(tmp_path))
    assert not decision.enabled and decision.pending == "question" and decision.mode == "opt-in"
    usage = decision.for_purpose("usage")
    assert usage is not None and usage.decided_by.source == "packager" and usage.pending is None
    enabled_config(tmp_path)  # `enable`: every purpose, explicitly
    decision = resolve(SPEC, environ={}, locs=locs, cwd=str(tmp_path), home=str(tmp_path))
    assert decision.enabled and all(p.enabled for p in decision.purposes)


def test_the_sender_decides_again_with_the_defaults(tmp_path: Path) -> None:
    """The detached sender re-reads the packager's file too: broken since, nothing leaves."""
    locs = locs_with(tmp_path, "")
    enabled_config(tmp_path)
    again = recheck("lumogon", SPEC.notice_version, mode="opt-out", disable_env="X", locs=locs,
                    environ={}, purposes=PURPOSES)  # fmt: skip
    assert again.enabled
    Path(locs.defaults_path).write_text("[telemetry]\nmode = 1\n")
    again = recheck("lumogon", SPEC.notice_version, mode="opt-out", disable_env="X", locs=locs,
                    environ={}, purposes=PURPOSES)  # fmt: skip
    assert not again.enabled and again.decided_by.source == "packager"


def test_what_the_person_is_told(tmp_path: Path) -> None:
    body = ('[telemetry]\nmode = "opt-in"\ndisabled_purposes = ["service-health"]\n'
            'endpoint = "https://telemetry.distro.example/c"\n')  # fmt: skip
    locs = locs_with(tmp_path, body)
    decision = resolve(SPEC, environ={}, locs=locs, cwd=str(tmp_path), home=str(tmp_path))
    assert packager_text(SPEC, decision) == (
        f"The packager of this installation changed the defaults ({locs.defaults_path}): "
        "Lumogon asks before sending anything (its own default is to send once its notice has "
        "been shown); service-health stays off until you enable it; hits go to "
        "https://telemetry.distro.example/c, not to https://www.google-analytics.com."
    )
    asked = tuple(p.purpose for p in decision.purposes if p.pending == "question")
    text = " ".join(question_text(SPEC, decision.endpoint, asked).split())  # lines wrap
    assert (
        "Where: telemetry.distro.example, set by the packager of this installation instead of "
        "www.google-analytics.com; it sees your IP address."
    ) in text
    assert "Yes allows usage; service-health stays off" in text
    # show-payload prints the requests as the gate builds them: to the packager's endpoint,
    # unless the person's override variable names another.
    from consent._notice.preview import previews

    shown = previews(SPEC, {}, command=None, event="screenview", default_command="lumogon version",
                     managed=decision.endpoint_url, default=decision.default_url)  # fmt: skip
    assert [p.request.url for p in shown] == ["https://telemetry.distro.example/c/collect"]
    mine = {"LUMOGON_TELEMETRY_ENDPOINT": "http://127.0.0.1:9"}
    overridden = resolve(SPEC, environ=mine, locs=locs, cwd=str(tmp_path), home=str(tmp_path))
    assert overridden.default_url == "" and overridden.endpoint is not None
    assert overridden.endpoint.source == "env"
    # An organisation's endpoint is named as such, the override variable's too (a self-hosted
    # collector is where the hits go, so the sentence says so), and the app's own otherwise.
    managed = DecidedBy("policy", "", {"url": "https://t.example.org/ga"})
    assert "set by your organization's policy instead of" in first_run_text(SPEC, managed)
    override = overridden.endpoint
    for text in (first_run_text(SPEC, override), question_text(SPEC, override, ("usage",))):
        assert "Where: 127.0.0.1:9, set by LUMOGON_TELEMETRY_ENDPOINT instead of " in " ".join(
            text.split()
        )
    assert "Where: Google Analytics (www.google-analytics.com)" in first_run_text(SPEC)
    locs = locs_with(tmp_path, "[telemetry]\nmode = 7\n")
    broken = resolve(SPEC, environ={}, locs=locs, cwd=str(tmp_path), home=str(tmp_path))
    assert packager_text(SPEC, broken).startswith(
        f"This installation's defaults ({locs.defaults_path}) cannot be read: "
    )
    locs = locs_with(tmp_path, "")
    none = resolve(SPEC, environ={}, locs=locs, cwd=str(tmp_path), home=str(tmp_path))
    assert packager_text(SPEC, none) == ""
