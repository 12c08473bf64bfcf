"""The start (consent/_start.py) against the full decision (consent/_store/sources.py `resolve`,
consent/_core/rules.py), which stays the authority: whenever the start says a run is off, the
full decision sends nothing and keeps nothing for any purpose, and shows nothing (no notice, no
question) to a person at a terminal. Over every case of the fault matrix (tests/e2e/faults.py,
its setups run in process, no subprocess) and over generated variables and file contents.

The start may leave a run undecided that the full decision turns off (it reads only what it can
read at a glance); it may never turn off a run that the full decision would let send or show.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from consent._core.rules import DROP, Decision
from consent._core.spec import AppSpec
from consent._glance import parse_simple
from consent._start import run_is_off
from consent._store.paths import _xdg_locations, locations, with_system
from consent._store.sources import resolve
from lumogon import SPEC
from tests.e2e.faults import CaseHome, Ctx
from tests.e2e.test_fault_matrix import CASES


def acts(decision: Decision, interactive: bool) -> list[str]:
    """What the full decision would do in a host run: send or keep a purpose's hits (its one
    verdict, `Decision.verdict`), or show; empty when nothing."""
    out = [
        f"{v} {p.purpose}" for p in decision.purposes if (v := decision.verdict(p.purpose)) != DROP
    ]
    if interactive and decision.pending is not None:
        out.append(f"shows the {decision.pending}")
    return out


def both(
    spec: AppSpec, env: dict[str, str], cwd: str, *, interactive: bool, flag: bool = False
) -> tuple[bool, list[str], str]:
    """(the start says off, what the full decision would do, the source that decided) for one
    world."""
    off = run_is_off(spec, flag=flag, environ=env, cwd=cwd, interactive=interactive)
    decision = full_decision(spec, env, cwd, flag=flag)
    return off, acts(decision, interactive), decision.decided_by.source


def full_decision(spec: AppSpec, env: dict[str, str], cwd: str, *, flag: bool) -> Decision:
    found = _xdg_locations(spec.name, env)
    locs = with_system(spec, found) if found is not None else locations(spec)
    home = env.get("HOME") or os.path.expanduser("~")
    return resolve(spec, flag=flag, environ=env, locs=locs, cwd=cwd, home=home)


def case_env(ctx: Ctx) -> dict[str, str]:
    env = dict(ctx.iso.env)
    for key, value in ctx.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_the_start_never_turns_off_a_run_the_full_decision_lets_act(tmp_path: Path) -> None:
    disagreements: list[str] = []
    missed: list[str] = []  # off by a variable, yet not off at the start
    off_cases = 0
    for case in CASES:
        tmp = tmp_path / case.id
        tmp.mkdir()
        ctx = Ctx(CaseHome.make(tmp), tmp)
        try:
            case.setup(ctx)
            env = case_env(ctx)
            cwd = str(ctx.cwd or tmp)
            for interactive in (False, True):
                off, acted, source = both(SPEC, env, cwd, interactive=interactive)
                off_cases += off
                if off and acted:
                    disagreements.append(f"{case.id} (interactive={interactive}): {acted}")
                if source == "env" and not off and not env.get(SPEC.debug_env):
                    missed.append(case.id)
        finally:
            for collector in ctx.collectors:
                collector.close()
            for undo in reversed(ctx.undo):
                undo()
    assert disagreements == []
    # The start does decide: a run the variables turn off is off at the start (and, measured,
    # so are the locks, config opt-outs and quiet first runs: 38 of the 192 runs here).
    assert missed == []
    assert off_cases >= 30, off_cases


# --- generated worlds ------------------------------------------------------------------------

# Mostly unset, so that the files decide often.
ENV_VALUES = st.sampled_from(
    [None] * 24 + ["", "0", "1", "true", " YES ", "off", "no", "maybe", "False"]
)


def toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) and value[:1] in ('"', "[") else repr(value)


@st.composite
def table_document(draw: st.DrawFn, choices: dict[str, list[object]], files: int = 1) -> str | None:
    """A file's text: a header (mostly `[telemetry]`), some of the keys with one of their
    values, sometimes something beside; None for no file, "dir" for a directory there. `files`
    weighs a file against no file."""
    shape = draw(st.sampled_from(["file"] * files + ["none"] * 2 + ["dir"]))
    if shape != "file":
        return None if shape == "none" else "dir"
    header = draw(st.sampled_from(["[telemetry]"] * 6 + ["[Telemetry]", "", "[other]"]))
    lines = [header]
    for key, values in choices.items():
        value = draw(st.sampled_from([None, *values[:1], *values]))  # the first value twice
        if value is not None:
            lines.append(f"{key} = {toml(value)}")
    lines += draw(st.sampled_from([[], [], ["# a comment"], ["[mine]", "colour = 'blue'"]]))
    if draw(st.integers(0, 5)) == 0:
        lines = lines[1:] + lines[:1]  # the header last: the keys at the top level
    return "\n".join(lines) + "\n"


POLICY = {
    "enabled": [False, True, '"no"'],
    "mode": ['"off"', '"local"', '"send"', '"sideways"'],
    "disabled_purposes": ['"usage"', '["usage", "service-health"]', '"nothing"'],
    "endpoint": ['"https://collector.example/"', '"http://example.com/"'],
    "other": [1],
}
PROJECT = {"enabled": [False, True, '"no"', 0], "other": [1]}


def config_keys(spec: AppSpec) -> dict[str, list[object]]:
    return {
        "enabled": [True, False, 1],
        "notice_version": [f'"{spec.notice_version}"', '"0000000000"'],
        "notice_shown_version": [f'"{spec.notice_version}"', '"0000000000"'],
        "mode": ['"local"', '"send"', '"nope"'],
        "enabled_purposes": ['"usage"', '"usage service-health"', '""'],
        "disabled_purposes": ['"usage"', '"service-health"'],
        "local_purposes": ['"usage"', '"usage service-health"', '""'],
        "decided_via": ['"test"', 3],
    }


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, object]:
    spec = SPEC if draw(st.booleans()) else SPEC.replace(mode="opt-in")
    return {
        "spec": spec,
        "disable": draw(ENV_VALUES),
        "dnt": draw(ENV_VALUES),
        "debug": draw(st.sampled_from([None] * 6 + ["1", "0"])),
        "ci": draw(st.sampled_from([None, None, "true", "false"])),
        "policy": draw(table_document(POLICY, files=2)),
        "project": draw(table_document(PROJECT, files=3)),
        "config": draw(table_document(config_keys(spec), files=12)),
        "interactive": draw(st.booleans()),
        "flag": draw(st.sampled_from([False, False, False, True])),
    }


def place(path: Path, text: object) -> None:
    if text is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if text == "dir":
        path.mkdir()
    else:
        path.write_text(str(text))


# The sources whose "off" the start reads for itself (consent/_start.py's docstring).
GLANCED = {"flag", "env", "policy", "project", "config", "notice"}


def start_claims(world: dict[str, object], env: dict[str, str], by: str) -> bool:
    """Is this a world whose "off" the start says it reads for itself? Not in debug mode, no
    directory where a file belongs and no file beyond the plain TOML subset (both the full
    reader's), no config in local mode or
    with local purposes, a config or a policy that refuses purpose by purpose rather than with
    `enabled = false` (which purposes there are, only the spec knows), and a run awaiting the
    notice only when there is no config at all (a config is something recorded, to be read)."""
    spec = world["spec"]
    assert isinstance(spec, AppSpec)
    config = world["config"]
    text = str(config or "")
    local = ("mode = " in text and 'mode = "send"' not in text) or "local_purposes" in text
    files = (world["policy"], world["project"], config)
    policy = str(world["policy"] or "")  # a lock purpose by purpose: which purposes, the spec's
    # Beyond the plain subset (an array, say) a file is the full reader's: the subset itself is
    # held to tomllib by tests/store/test_tomlfast.py.
    plain = all(f is None or (f != "dir" and parse_simple(str(f)) is not None) for f in files)
    return not (
        env.get(spec.debug_env)
        or not plain
        or local
        or (by == "notice" and config is not None)
        or (by == "config" and "enabled = false" not in text)  # words per purpose: the spec's
        or (by == "policy" and not any(w in policy for w in ("enabled = false", 'mode = "off"')))
    )


def check_world(world: dict[str, object]) -> None:
    spec = world["spec"]
    assert isinstance(spec, AppSpec)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "home"
        env = {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_CONFIG_DIRS": str(root / "etc"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"),
        }
        names = {
            "disable": spec.disable_env,
            "dnt": "DO_NOT_TRACK",
            "debug": spec.debug_env,
            "ci": "CI",
        }
        for key, name in names.items():
            value = world[key]
            if value is not None:
                env[name] = str(value)
        place(root / "etc" / spec.name / "telemetry.toml", world["policy"])
        place(root / "config" / spec.name / "config.toml", world["config"])
        work = home / "work" / "repo"
        work.mkdir(parents=True)
        place(home / "work" / f".{spec.name}" / "telemetry.toml", world["project"])
        interactive, flag = bool(world["interactive"]), bool(world["flag"])
        off = run_is_off(spec, flag=flag, environ=env, cwd=str(work), interactive=interactive)
        decision = full_decision(spec, env, str(work), flag=flag)
        acted = acts(decision, interactive)
        assert not (off and acted), (world, acted)
        # And the start decides what it claims to: a run the full decision leaves idle, by a
        # source the start reads, from files that raised no warning, not in debug mode, is off
        # at the start (else it loads the rest of consent for nothing).
        by = decision.decided_by.source
        if not acted and not decision.warnings and by in GLANCED and start_claims(world, env, by):
            assert off, (world, by)


def world(**given: object) -> dict[str, object]:
    """A world with nothing set but `given`."""
    base: dict[str, object] = {
        "spec": SPEC,
        "disable": None,
        "dnt": None,
        "debug": None,
        "ci": None,
        "policy": None,
        "project": None,
        "config": None,
        "interactive": False,
        "flag": False,
    }
    return {**base, **given}


CONSENTED = f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n'


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
# The borders the generator reaches rarely: a project file that says nothing or enables, a
# policy in local mode, an opt-out app whose notice was shown, each beside a consent that sends.
# Each case the start reads for itself, once in every run: a policy's lock, a project's and
# a config's no.
@example(world(policy="[telemetry]\nenabled = false\n", config=CONSENTED))
@example(world(project="[telemetry]\nenabled = false\n", config=CONSENTED))
@example(world(config=CONSENTED.replace("true", "false")))
@example(world(project="[telemetry]\nenabled = true\n", config=CONSENTED))
@example(world(project="[telemetry]\n", config=CONSENTED))
@example(world(policy='[telemetry]\nmode = "local"\n', config=CONSENTED))
@example(world(policy="[telemetry]\nenabled = true\n", config=CONSENTED, ci="0"))
@example(world(config=f'[telemetry]\nnotice_shown_version = "{SPEC.notice_version}"\n'))
@example(world(config=CONSENTED.replace("true", "false") + 'mode = "local"\n'))
# Every purpose refused, yet local mode keeps one (consent/_core/words.py): not off.
@example(
    world(config=CONSENTED.replace("true", "false") + 'mode = "local"\nlocal_purposes = "usage"\n')
)
def test_generated_worlds_the_start_turns_off_neither_send_nor_show(
    world: dict[str, object],
) -> None:
    check_world(world)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_generated_worlds_many(world: dict[str, object]) -> None:
    check_world(world)
