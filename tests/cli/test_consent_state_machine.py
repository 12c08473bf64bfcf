"""Every sequence of a person's choices keeps its meaning (issue 21): a stateful property test.

Hypothesis drives random sequences of every way a person speaks: `telemetry enable [P…]`,
`disable [P…]`, `local` and `reset` (lumogon's commands, run in this process), `consent.enable`
and `consent.disable` (the public API), the first run (the opt-out notice shown, the opt-in
question answered); of what is stronger than the person: an admin policy, project files on
the way up, the flag, the variables; and of what an app's release changes: opt-in or opt-out,
the notice version.

The oracle below keeps the person's words its own way (a yes or no per purpose, each with the
notice version it was given for; the mode; what local mode keeps; the notice shown) and reasons
from the rules as docs/configuration.md states them, apart from the production code. After every
step, for every purpose:

- the verdict (`Decision.verdict`) is the oracle's, whether every source is read or a host
  command's start reads only as far as the first that disables;
- nothing is sent without a standing yes for the current notice, or (opt-out) the current
  notice shown and no no, and nothing a stronger source forbids;
- a purpose the person just enabled is sent, unless something stronger forbids it;
- the config holds exactly the oracle's words, and the receipts' chain is intact, one receipt
  per transition, its newest receipt the one the config records.

The normal run tries a bounded number of sequences (about 3 s); the `slow` one many more, and
`CONSENT_SEQUENCES=<examples>` as many as asked.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from typer.testing import CliRunner

import consent
from consent import PolicyLockedError
from consent._cli import firstrun
from consent._core.spec import AppSpec
from consent._core.words import words_of
from consent._store import receipts
from consent._store.sources import read_config, resolve
from consent._store.tomlread import parse_toml
from consent.testing.home import Home
from lumogon import SPEC

PURPOSES = SPEC.purpose_names  # usage, service-health
DATES = (SPEC.notice_date, "2027-03-01")  # two releases: two notice versions
MODES = ("opt-out", "opt-in")
FALSE = ("", "0", "false", "no", "off")

POLICIES = {
    "none": None,
    "allows": "[telemetry]\nenabled = true\n",
    "locks": "[telemetry]\nenabled = false\n",
    "mode-off": '[telemetry]\nmode = "off"\n',
    "locks-usage": '[telemetry]\ndisabled_purposes = ["usage"]\n',
    "locks-health": '[telemetry]\ndisabled_purposes = ["service-health"]\n',
    "local": '[telemetry]\nmode = "local"\n',
    "unreadable": "[telemetry]\ncolour = 1\n",  # an unknown key: an intent not read exactly
}
LOCKS_ALL = ("locks", "mode-off", "unreadable")
PROJECT_FILES = {
    "none": None,
    "disables": "[telemetry]\nenabled = false\n",
    "enables": "[telemetry]\nenabled = true\n",  # ignored: a project can only opt out
    "empty": "",
    "says-nothing": "[telemetry]\n",
    "unreadable": "[telemetry]\ncolour = 1\n",
    "loop": None,  # `.lumogon` a link to itself
}
PROJECT_DISABLES = ("disables", "unreadable", "loop")
LEVELS = 4  # the home directory and three below it; the command runs in the deepest
ENV_VALUES = (None, "", "0", "no", "1", "yes", "maybe")

_APPS: dict[AppSpec, typer.Typer] = {}


def app_for(spec: AppSpec) -> typer.Typer:
    """lumogon's commands for a release of the app (its mode and notice date)."""
    if spec not in _APPS:
        app = typer.Typer()

        @app.command()
        def version() -> None:
            pass

        @app.command()
        def report() -> None:
            pass

        _APPS[spec] = consent.install(app, spec)
    return _APPS[spec]


# -- the oracle ------------------------------------------------------------------------------
class Oracle:
    """What the person said and what is stronger, kept apart from the production model."""

    def __init__(self) -> None:
        self.words: dict[str, tuple[str, str]] = {}  # purpose -> ("yes" or "no", version)
        self.local = False
        self.kept: set[str] = set()
        self.shown = ""  # the notice version last shown
        self.receipts = 0
        # The newest receipt: (action, method, expressed); and how the newest word was said, as
        # the config's `decided_via` records it ("" before any).
        self.receipt: tuple[str, str, str] = ("", "", "")
        self.via = ""
        self.policy = "none"
        self.project = ["none"] * LEVELS
        self.flag = False
        self.env: dict[str, str | None] = {"LUMOGON_DISABLE_ANALYTICS": None, "DO_NOT_TRACK": None}
        self.mode = "opt-out"
        self.version = ""

    # What is stronger than the person.
    def stronger(self, purpose: str) -> bool:
        return (
            self.policy in LOCKS_ALL
            or self.policy == {"usage": "locks-usage", "service-health": "locks-health"}[purpose]
            or self.flag
            or any(v is not None and v.strip().lower() not in FALSE for v in self.env.values())
            or any(f in PROJECT_DISABLES for f in self.project)
        )

    def consent(self, purpose: str) -> bool:
        """A standing yes for the current notice, or (opt-out) the current notice shown to a
        person, and no no."""
        word = self.words.get(purpose)
        if word is not None and word[0] == "no":
            return False
        yes = word == ("yes", self.version)
        return yes or (self.mode == "opt-out" and self.shown == self.version)

    def verdict(self, purpose: str) -> str:
        if self.stronger(purpose):
            return "drop"
        if self.local:
            return "keep" if purpose in self.kept else "drop"
        if not self.consent(purpose):
            return "drop"
        return "keep" if self.policy == "local" else "send"

    def open(self, purpose: str) -> bool:
        """Is the question (or the notice) about `purpose` open: nothing stronger, no no, no
        consent that counts, no local mode?"""
        word = self.words.get(purpose, ("",))[0]
        return not (self.stronger(purpose) or self.local or word == "no" or self.consent(purpose))

    def asks(self) -> bool:
        """Would a person at a terminal see the notice or the question now? When nothing is
        sent or kept and some purpose is open."""
        if any(self.verdict(p) != "drop" for p in PURPOSES):
            return False
        return any(self.open(p) for p in PURPOSES)

    # What the person says.
    def say(self, word: str, purposes: tuple[str, ...], how: Said) -> None:
        # A yes for another notice than the current one was never consent for it: the store
        # keeps the yeses of one notice version, the one the newest word was given for.
        self.words = {p: w for p, w in self.words.items() if w[0] == "no" or w[1] == self.version}
        for p in purposes:
            self.words[p] = (word, self.version)
        self.heard(how)

    def heard(self, how: Said) -> None:
        """A receipt appended for what was said (`how`: its action, method and expressed, and
        the config's `decided_via`, None when the words do not change: the notice shown)."""
        action, method, expressed, via = how
        self.receipts += 1
        self.receipt = (action, method, expressed)
        if via is not None:
            self.via = via

    def enable_refused(self, purposes: tuple[str, ...]) -> bool:
        locked = {"locks-usage": "usage", "locks-health": "service-health"}.get(self.policy)
        return self.policy in LOCKS_ALL or locked in purposes

    def enable(self, purposes: tuple[str, ...], through: str) -> None:
        self.say("yes", purposes or PURPOSES, said("enable", "given", purposes, through))
        self.local, self.kept = False, set()

    def disable(self, purposes: tuple[str, ...], through: str) -> None:
        self.say("no", purposes or PURPOSES, said("disable", "withdrawn", purposes, through))
        self.kept -= set(purposes or PURPOSES)
        self.local = self.local and bool(self.kept)

    def go_local(self) -> None:
        self.local, self.kept = True, set(PURPOSES)
        # Local mode is no yes and no no: `decided_via` keeps the newest of those.
        self.heard((*said("local", "local", (), "command")[:3], None))


Said = tuple[str, str, str, str | None]  # receipt action, method, expressed; decided_via
API_METHOD = "a settings dialog"
PROMPT: Said = ("", "prompt", "the first-run question", "prompt")  # the action: the answer's
SHOWN: Said = ("notified", "first-run notice", "the first-run notice, shown on the terminal", None)


def said(act: str, action: str, purposes: tuple[str, ...], through: str) -> Said:
    """How a command (`lumogon telemetry <act> P…`) or the public API (`consent.<act>`, its
    `via` the method) is recorded, in the words docs/configuration.md gives."""
    if through == "command":
        expressed = " ".join(("lumogon telemetry", act, *purposes))
        return (action, "command", expressed, f"command: {expressed}")
    expressed = " ".join((act, *purposes))
    return (action, API_METHOD, expressed, f"{API_METHOD}: {expressed}")


# -- the machine -----------------------------------------------------------------------------
NAMES = st.lists(st.sampled_from(PURPOSES), max_size=2, unique=True).map(tuple)
# A hand-written spelling of the same words: every yes named (not the single `enabled = true`),
# a no for every purpose as names (not `enabled = false`), `mode = "send"` written out, local
# mode's purposes named, and a `local_purposes` left over while sending (it means nothing then).
Spelling = tuple[bool, bool, bool, bool, str]
SPELLINGS = st.tuples(
    st.booleans(), st.booleans(), st.booleans(), st.booleans(), st.sampled_from(("", *PURPOSES))
)


class Sequences(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.oracle = Oracle()
        self.root = Path(tempfile.mkdtemp(prefix="consent-words-"))
        self.home_env = Home.create(self.root / "xdg", os.environ).env
        self.saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.home_env)
        self.levels = [self.root / "home"]
        for i in range(1, LEVELS):
            self.levels.append(self.levels[-1] / f"p{i}")
        self.levels[-1].mkdir(parents=True)
        self.just_enabled: tuple[str, ...] = ()

    def teardown(self) -> None:
        os.environ.clear()
        os.environ.update(self.saved)
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def spec(self) -> AppSpec:
        o = self.oracle
        return variant(o.mode, DATES[0] if o.version in ("", VERSIONS[0]) else DATES[1])

    @initialize(mode=st.sampled_from(MODES), release=st.sampled_from((0, 1)))
    def first_release(self, mode: str, release: int) -> None:
        self.set_release(mode, release)

    def set_release(self, mode: str, release: int) -> None:
        """The app switches between opt-out and opt-in, or changes its notice."""
        self.oracle.mode, self.oracle.version = mode, VERSIONS[release]

    # Every way a person speaks.
    def command(self, *args: str) -> int:
        result = CliRunner().invoke(app_for(self.spec), ["telemetry", *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result.exit_code

    @rule(purposes=NAMES, through=st.sampled_from(("command", "api")), spelling=SPELLINGS)
    def enable(self, purposes: tuple[str, ...], through: str, spelling: Spelling) -> None:
        self.respell(spelling)
        refused = self.oracle.enable_refused(purposes)
        if through == "command":
            assert self.command("enable", *purposes) == (1 if refused else 0)
        else:
            try:
                consent.enable(self.spec, *purposes, via=API_METHOD)
            except PolicyLockedError:
                assert refused
            else:
                assert not refused
        if not refused:
            self.oracle.enable(purposes, through)
        self.just_enabled = () if refused else purposes or PURPOSES

    @rule(purposes=NAMES, through=st.sampled_from(("command", "api")), spelling=SPELLINGS)
    def disable(self, purposes: tuple[str, ...], through: str, spelling: Spelling) -> None:
        self.respell(spelling)
        if through == "command":
            assert self.command("disable", *purposes) == 0
        else:
            consent.disable(self.spec, *purposes, via=API_METHOD)
        self.oracle.disable(purposes, through)
        self.just_enabled = ()

    @rule(spelling=SPELLINGS)
    def local(self, spelling: Spelling) -> None:
        self.respell(spelling)
        refused = self.oracle.policy in LOCKS_ALL
        assert self.command("local") == (1 if refused else 0)
        if not refused:
            self.oracle.go_local()
        self.just_enabled = ()

    @rule()
    def reset(self) -> None:
        assert self.command("reset") == 0  # a new id; what the person said does not change
        self.just_enabled = ()

    @rule(answer=st.booleans(), spelling=SPELLINGS)
    def first_run(self, answer: bool, spelling: Spelling) -> None:
        """A host command at a terminal: it shows the notice or asks, if anything is open."""
        self.respell(spelling)
        decision = self.decide(full=False)
        asks = decision.pending is not None and all(decision.verdict(p) == "drop" for p in PURPOSES)
        assert asks == self.oracle.asks(), (decision.pending, self.oracle.__dict__)
        if asks:
            with at_a_terminal("y\n" if answer else "\n"):
                firstrun.first_run(self.spec, decision)
            if self.oracle.mode == "opt-out":
                self.oracle.shown = self.oracle.version
                self.oracle.heard(SHOWN)
            elif answer:  # a yes covers the purposes asked about; the answer keeps the mode
                asked = tuple(p for p in PURPOSES if self.oracle.open(p))
                self.oracle.say("yes", asked, ("given", *PROMPT[1:]))
            else:
                self.oracle.say("no", PURPOSES, ("refused", *PROMPT[1:]))
        self.just_enabled = ()

    # What is stronger than the person, and what a release changes: one rule, so that the
    # person speaks in most steps.
    @rule(change=st.one_of(
        st.tuples(st.just("policy"), st.sampled_from(sorted(POLICIES))),
        st.tuples(st.just("project"), st.integers(0, LEVELS - 1),
                  st.sampled_from(sorted(PROJECT_FILES))),
        st.tuples(st.just("flag"), st.booleans()),
        st.tuples(st.just("variable"),
                  st.sampled_from(("LUMOGON_DISABLE_ANALYTICS", "DO_NOT_TRACK")),
                  st.sampled_from(ENV_VALUES)),
        st.tuples(st.just("release"), st.sampled_from(MODES), st.sampled_from((0, 1))),
    ))  # fmt: skip
    def world(self, change: tuple[object, ...]) -> None:
        what, *args = change
        getattr(self, f"set_{what}")(*args)
        self.just_enabled = ()

    def respell(self, spelling: Spelling) -> None:
        """The person edits the config by hand before they speak again: the same words in
        another spelling. What is written next must keep their
        spelling where it still means the same, and mean the oracle's words."""
        path = Home(self.root / "xdg", self.home_env).locations(self.spec).config_file
        if not path.is_file():
            return
        every_yes_named, no_as_names, send_named, kept_named, stale_kept = spelling
        o = self.oracle
        table = dict(parse_toml(path.read_bytes())["telemetry"])
        for key in ("enabled", "enabled_purposes", "disabled_purposes", "mode", "local_purposes"):
            table.pop(key, None)
        yes = [p for p in PURPOSES if o.words.get(p, ("",))[0] == "yes"]
        no = [p for p in PURPOSES if o.words.get(p, ("",))[0] == "no"]
        if yes:
            table["enabled"] = True
            table["notice_version"] = o.words[yes[0]][1]
            if every_yes_named or len(yes) < len(PURPOSES):
                table["enabled_purposes"] = " ".join(yes)
        elif len(no) == len(PURPOSES) and not no_as_names:
            table["enabled"] = False
        if no and table.get("enabled") is not False:
            table["disabled_purposes"] = " ".join(no)
        if o.local:
            table["mode"] = "local"
            if kept_named or o.kept != {p for p in PURPOSES if p not in no}:
                table["local_purposes"] = " ".join(sorted(o.kept))
        else:
            if send_named:
                table["mode"] = "send"
            if stale_kept:  # means nothing while sending
                table["local_purposes"] = stale_kept
        if o.shown:
            table["notice_shown_version"] = o.shown
        lines = [f"{k} = {json.dumps(v)}" for k, v in table.items()]
        path.write_text("# by hand\n[telemetry]\n" + "\n".join(lines) + "\n", "utf-8")

    def set_policy(self, policy: str) -> None:
        path = Path(Home(self.root / "xdg", self.home_env).policy_file(SPEC))
        text = POLICIES[policy]
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
        self.oracle.policy = policy

    def set_project(self, level: int, kind: str) -> None:
        folder = self.levels[level] / ".lumogon"
        if folder.is_symlink() or folder.is_file():
            folder.unlink()
        elif folder.exists():
            shutil.rmtree(folder)
        if kind == "loop":
            folder.symlink_to(folder)
        elif PROJECT_FILES[kind] is not None:
            folder.mkdir()
            (folder / "telemetry.toml").write_text(PROJECT_FILES[kind] or "", "utf-8")
        self.oracle.project[level] = kind

    def set_flag(self, flag: bool) -> None:
        self.oracle.flag = flag

    def set_variable(self, name: str, value: str | None) -> None:
        self.oracle.env[name] = value

    # After every step.
    def decide(self, *, full: bool = True) -> consent.Decision:
        environ = {k: v for k, v in self.oracle.env.items() if v is not None}
        return resolve(
            self.spec,
            flag=self.oracle.flag,
            environ=environ,
            full=full,
            cwd=str(self.levels[-1]),
            home=str(self.levels[0]),
        )

    @invariant()
    def verdicts_are_the_oracles(self) -> None:
        if not self.oracle.version:
            return  # before the first release is chosen
        o = self.oracle
        full, quick = self.decide(), self.decide(full=False)
        for p in PURPOSES:
            want = o.verdict(p)
            assert full.verdict(p) == want, (p, full.purposes, o.__dict__)
            assert quick.verdict(p) == want, (p, quick.purposes, o.__dict__)
            if want == "send":  # said in the oracle's own words, once more
                word = o.words.get(p)
                assert not o.stronger(p) and not o.local
                assert word == ("yes", o.version) or (
                    o.mode == "opt-out" and o.shown == o.version and (word or ("yes",))[0] == "yes"
                )
        for p in self.just_enabled:
            if not o.stronger(p):
                assert full.verdict(p) == ("keep" if o.policy == "local" else "send")

    @invariant()
    def the_config_holds_the_words_and_the_chain_is_anchored(self) -> None:
        if not self.oracle.version:
            return
        o = self.oracle
        spec = self.spec
        config = read_config(Home(self.root / "xdg", self.home_env).locations(spec))
        if config.state == "missing":
            assert o.receipts == 0
            return
        assert config.state == "ok", config
        words = words_of(config.record, PURPOSES)
        for p in PURPOSES:
            said = o.words.get(p)
            assert (words.word(p) == "no") == (said is not None and said[0] == "no"), p
            assert words.yes(p, o.version) == (said == ("yes", o.version)), p
        assert words.local == o.local and (not o.local or set(words.kept) == o.kept)
        assert words.shown == o.shown
        # When and how: the newest word's, and the notice's shown (never one without the other).
        record = config.record
        assert record.decided_via == (o.via or None), (record.decided_via, o.via)
        assert (record.decided_at is None) == (not o.via)
        assert (record.notice_shown_at is None) == (not o.shown)
        path = Home(self.root / "xdg", self.home_env).locations(spec).receipts_path
        head = record.latest_receipt_sha256
        verdict = receipts.verify(path, head)
        assert verdict.ok and verdict.count == o.receipts, verdict
        assert head == (receipts.sha256_hex(receipts.read(path)[-1]) if o.receipts else None)
        if o.receipts:
            newest = receipts.records(path)[-1]
            assert (newest["action"], newest["method"], newest["expressed"]) == o.receipt


_VARIANTS: dict[tuple[str, str], AppSpec] = {}


def variant(mode: str, date: str) -> AppSpec:
    key = (mode, date)
    if key not in _VARIANTS:
        _VARIANTS[key] = SPEC.replace(mode=mode, notice_date=date)  # type: ignore[arg-type]
    return _VARIANTS[key]


VERSIONS = (
    variant("opt-out", DATES[0]).notice_version,
    variant("opt-out", DATES[1]).notice_version,
)
assert VERSIONS[0] != VERSIONS[1] and variant("opt-in", DATES[0]).notice_version == VERSIONS[0]


@contextlib.contextmanager
def at_a_terminal(answer: str) -> Iterator[None]:
    """The first run as a person at a terminal meets it: interactive, typing `answer` (on a pipe:
    the first run waits on the descriptor of stdin)."""
    stdin, stderr, interactive = sys.stdin, sys.stderr, firstrun.is_interactive
    read, write = os.pipe()
    os.write(write, answer.encode())
    os.close(write)
    sys.stdin, sys.stderr = os.fdopen(read, "r"), io.StringIO()
    firstrun.is_interactive = lambda: True  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdin.close()
        sys.stdin, sys.stderr, firstrun.is_interactive = stdin, stderr, interactive


def run(consent_home: Home, examples: int, steps: int) -> None:
    run_state_machine_as_test(
        Sequences,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_every_sequence_keeps_its_meaning(consent_home: Home) -> None:
    run(consent_home, examples=40, steps=10)


@pytest.mark.slow
def test_every_sequence_keeps_its_meaning_at_length(consent_home: Home) -> None:
    """Longer sequences, many more of them; `CONSENT_SEQUENCES=2000` for a deep run."""
    run(consent_home, examples=int(os.environ.get("CONSENT_SEQUENCES", "80")), steps=24)
