"""Every trace entry, warning and decided-by of the decision, pinned (issue 12, class 11).

The rules are pure; for a fixed set of inputs (each source's every state, and combinations of
them) the whole Decision is compared with tests/core/decisions.golden.json. A changed detail, a
flipped vote, a dropped warning or an origin key that moved fails here, with the case named.
After an intended change: CONSENT_UPDATE_GOLDEN=1 pytest tests/core/test_decision_golden.py,
and review the diff of the golden file.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from consent._core.envgrammar import EnvReading, read_value
from consent._core.records import ConsentRecord
from consent._core.rules import (
    ConfigReading,
    DecidedBy,
    Decision,
    Inputs,
    PackagerReading,
    PolicyReading,
    ProjectReading,
    SourceVote,
    decide,
)
from consent._core.value import Record

GOLDEN = Path(__file__).with_name("decisions.golden.json")
VERSION = "v-current"

ENVS = {
    "unset": None, "empty": "", "false": " Off ", "true": "1", "unknown": "maybe\x1b[0m",
}  # fmt: skip
POLICIES: dict[str, tuple[PolicyReading, ...] | None] = {
    "not-consulted": None,
    "none-on-platform": (),
    "missing": (PolicyReading("/etc/p.toml", "missing", False),),
    "locks": (PolicyReading("/etc/p.toml", "ok", True),),
    "allows": (PolicyReading("/etc/p.toml", "ok", False),),
    "error": (PolicyReading("/etc/p.toml", "error", True, "is not a regular file"),),
    "ambiguous": (PolicyReading("/etc/p.toml", "ok", True, "has the unknown key 'telemetry.x'"),),
    "two": (
        PolicyReading("/etc/a.toml", "ok", False),
        PolicyReading("/etc/b.toml", "ok", True),
    ),
    "mode-off": (
        PolicyReading(
            "/etc/p.toml", "ok", True, lock_key="telemetry.mode",
            settings=(("telemetry.mode", '"off"'),),
        ),
    ),
    "local-endpoint": (
        PolicyReading(
            "/etc/p.toml", "ok", False, local=True, endpoint="https://c.example",
            settings=(("telemetry.mode", '"local"'), ("telemetry.endpoint", '"https://c.example"')),
        ),
    ),
    "endpoint": (
        PolicyReading("/etc/p.toml", "ok", False, endpoint="https://c.example",
                      settings=(("telemetry.endpoint", '"https://c.example"'),)),
    ),
    "endpoints-differ": (
        PolicyReading("/etc/a.toml", "ok", False, endpoint="https://a.example"),
        PolicyReading("/etc/b.toml", "ok", False, endpoint="https://b.example"),
    ),
}  # fmt: skip
PROJECTS: dict[str, ProjectReading | None] = {
    "not-consulted": None,
    "missing": ProjectReading("", "missing", False, searched="(.app/telemetry.toml in /w)"),
    "disables": ProjectReading("/w/.app/telemetry.toml", "ok", True),
    "enable-ignored": ProjectReading("/w/.app/telemetry.toml", "ok", False, enable_ignored=True),
    "says-nothing": ProjectReading("/w/.app/telemetry.toml", "ok", False),
    "error": ProjectReading("/w/.app/telemetry.toml", "error", True, "is not a regular file"),
    "ambiguous": ProjectReading("/w/.app/telemetry.toml", "ok", True, "has the key 'x'"),
}
CONFIGS: dict[str, ConfigReading | None] = {
    "not-consulted": None,
    "missing": ConfigReading("/c.toml", "missing"),
    "error": ConfigReading("/c.toml", "error", problem="is not valid TOML (x)"),
    "empty": ConfigReading("/c.toml", "ok", ConsentRecord()),
    "enabled": ConfigReading(
        "/c.toml", "ok", ConsentRecord(True, VERSION, "2026-01-01T00:00:00Z", "command: x")
    ),
    "enabled-old": ConfigReading("/c.toml", "ok", ConsentRecord(True, "v-old\x07")),
    "enabled-no-version": ConfigReading("/c.toml", "ok", ConsentRecord(True)),
    "disabled": ConfigReading("/c.toml", "ok", ConsentRecord(False, None, None, "prompt")),
    "shown": ConfigReading(
        "/c.toml", "ok", ConsentRecord(notice_shown_version=VERSION, notice_shown_at="t1")
    ),
    "shown-no-time": ConfigReading("/c.toml", "ok", ConsentRecord(notice_shown_version=VERSION)),
    "shown-old": ConfigReading("/c.toml", "ok", ConsentRecord(notice_shown_version="v-old")),
    "disabled-shown": ConfigReading(
        "/c.toml", "ok", ConsentRecord(False, notice_shown_version=VERSION)
    ),
}


def cases() -> dict[str, Inputs]:
    quiet = (
        EnvReading("APP_DISABLE_ANALYTICS", None, "unset"),
        EnvReading("DO_NOT_TRACK", None, "unset"),
    )
    pairs = [(p, "enabled") for p in POLICIES] + [("missing", c) for c in CONFIGS]
    pairs += [("not-consulted", "not-consulted"), ("error", "error"), ("locks", "shown")]
    out = {}
    for mode, (p, c) in itertools.product(("opt-out", "opt-in"), pairs):
        out[f"{mode}/policy={p}/config={c}"] = Inputs(
            "app", mode, VERSION, False, quiet, POLICIES[p], CONFIGS[c]
        )
    for mode, flag, (name, (label, value)) in itertools.product(
        ("opt-out", "opt-in"),
        (False, True),
        [(n, item) for n in ("APP_DISABLE_ANALYTICS", "DO_NOT_TRACK") for item in ENVS.items()],
    ):
        envs = tuple(
            EnvReading(n, value, read_value(value)) if n == name else EnvReading(n, None, "unset")
            for n in ("APP_DISABLE_ANALYTICS", "DO_NOT_TRACK")
        )
        out[f"{mode}/flag={flag}/{name}={label}"] = Inputs(
            "app", mode, VERSION, flag, envs, POLICIES["missing"], CONFIGS["shown"]
        )
    for mode, (name, project) in itertools.product(("opt-out", "opt-in"), PROJECTS.items()):
        out[f"{mode}/project={name}/config=enabled"] = Inputs(
            "app", mode, VERSION, False, quiet, POLICIES["missing"], CONFIGS["enabled"],
            project=project,
        )  # fmt: skip
    for override in ("https://mine.example", "https://c.example"):
        out[f"opt-in/policy=endpoint/override={override}"] = Inputs(
            "app", "opt-in", VERSION, False, quiet, POLICIES["endpoint"], CONFIGS["enabled"],
            endpoint_override=("APP_TELEMETRY_ENDPOINT", override),
        )  # fmt: skip
    out["opt-in/policy=missing/override=mine"] = Inputs(
        "app", "opt-in", VERSION, False, quiet, POLICIES["missing"], CONFIGS["enabled"],
        endpoint_override=("APP_TELEMETRY_ENDPOINT", "https://mine.example"),
    )  # fmt: skip
    # An app with two purposes: what a policy locks per purpose or keeps local, what a person
    # enabled, disabled or kept local per purpose, and the flag and env over all of it.
    pairs = [(p, "enabled") for p in PURPOSE_POLICIES] + [("missing", c) for c in PURPOSE_CONFIGS]
    pairs += [("locks-usage", "enabled-usage"), ("local", "disabled"), ("local", "shown")]
    pairs += [("locks-usage-local", "local"), ("error", "local")]
    for mode, (p, c) in itertools.product(("opt-out", "opt-in"), pairs):
        out[f"{mode}/purposes/policy={p}/config={c}"] = Inputs(
            "app", mode, VERSION, False, quiet, PURPOSE_POLICIES[p], PURPOSE_CONFIGS[c],
            purposes=PURPOSES,
        )  # fmt: skip
    loud = (EnvReading("APP_DISABLE_ANALYTICS", "1", "true"), quiet[1])
    for mode, (flag, envs) in itertools.product(
        ("opt-out", "opt-in"), ((True, quiet), (False, loud))
    ):
        out[f"{mode}/purposes/flag={flag}/env={envs is loud}/config=local"] = Inputs(
            "app", mode, VERSION, flag, envs, PURPOSE_POLICIES["local"], PURPOSE_CONFIGS["local"],
            purposes=PURPOSES,
        )  # fmt: skip
    # A packager's defaults (issue 27): weaker than the person's config, they make the app
    # stricter or nothing; one that cannot be read sends nothing.
    pairs = [(k, c) for k in PACKAGERS for c in ("missing", "enabled", "shown", "disabled")]
    pairs += [("endpoint", "enabled"), ("missing", "error")]
    for mode, (k, c) in itertools.product(("opt-out", "opt-in"), pairs):
        out[f"{mode}/purposes/packager={k}/config={c}"] = Inputs(
            "app", mode, VERSION, False, quiet, PURPOSE_POLICIES["missing"], PURPOSE_CONFIGS[c],
            purposes=PURPOSES, packager=PACKAGERS[k],
        )  # fmt: skip
    for k, policy in (("endpoint", "allows"), ("endpoint", "locks"), ("opt-in", "local")):
        out[f"opt-out/purposes/packager={k}/policy={policy}/config=enabled"] = Inputs(
            "app", "opt-out", VERSION, False, quiet, PURPOSE_POLICIES[policy],
            PURPOSE_CONFIGS["enabled"], purposes=PURPOSES, packager=PACKAGERS[k],
        )  # fmt: skip
    out["opt-out/purposes/packager=endpoint/override=mine"] = Inputs(
        "app", "opt-out", VERSION, False, quiet, PURPOSE_POLICIES["missing"],
        PURPOSE_CONFIGS["enabled"], purposes=PURPOSES, packager=PACKAGERS["endpoint"],
        endpoint_override=("APP_TELEMETRY_ENDPOINT", "https://mine.example"),
    )  # fmt: skip
    out["opt-out/purposes/packager=opt-in/config=enabled-usage"] = Inputs(
        "app", "opt-out", VERSION, False, quiet, PURPOSE_POLICIES["missing"],
        PURPOSE_CONFIGS["enabled-usage"], purposes=PURPOSES, packager=PACKAGERS["opt-in"],
    )  # fmt: skip
    out["opt-out/purposes/packager=off-health/config=enabled-usage"] = Inputs(
        "app", "opt-out", VERSION, False, quiet, PURPOSE_POLICIES["missing"],
        PURPOSE_CONFIGS["enabled-usage"], purposes=PURPOSES, packager=PACKAGERS["off-health"],
    )  # fmt: skip
    # The edges scripts/mutate.py found unpinned (issue 24): a person's no under a policy lock
    # (the lock is named) and in local mode (kept by the mode, not by the no); a policy that locks
    # and keeps local at once; a policy read through a link; projects searched past; the trace
    # of a config naming purposes both ways; the consent commands an app spells its own way.
    pairs = [("locks", "disabled"), ("locks-usage", "disabled-health"), ("locks-local", "local")]
    pairs += [("linked", "enabled"), ("missing", "local-usage-only"), ("missing", "both-ways")]
    pairs += [("missing", "local-keeps-a-no"), ("missing", "local-keeps-a-no-shown")]
    for mode, (p, c) in itertools.product(("opt-out", "opt-in"), pairs):
        out[f"{mode}/purposes/policy={p}/config={c}"] = Inputs(
            "app", mode, VERSION, False, quiet, PURPOSE_POLICIES[p], PURPOSE_CONFIGS[c],
            purposes=PURPOSES,
        )  # fmt: skip
    for name, project in EXTRA_PROJECTS.items():
        out[f"opt-out/project={name}/config=enabled"] = Inputs(
            "app", "opt-out", VERSION, False, quiet, POLICIES["missing"], CONFIGS["enabled"],
            project=project,
        )  # fmt: skip
    out["opt-out/config=error/commands=acme-tel"] = Inputs(
        "app", "opt-out", VERSION, False, quiet, POLICIES["missing"], CONFIGS["error"],
        commands="acme tel", project=EXTRA_PROJECTS["ignored"],
    )  # fmt: skip
    return out


EXTRA_PROJECTS: dict[str, ProjectReading] = {
    # consent/_store/sources.py reads a working directory it cannot resolve as a nameless error.
    "error-nameless": ProjectReading("", "error", True, "cannot resolve the working directory"),
    "disables-past": ProjectReading(
        "/w/.app/telemetry.toml", "ok", True, passed=("/w/a/.app/telemetry.toml", "/w/a/b/x.toml")
    ),
    "ignored": ProjectReading(
        "/w/.app/telemetry.toml", "ok", False, enable_ignored=True,
        passed=("/w/a/.app/telemetry.toml",), ignored=("/w/a/.app/telemetry.toml",),
    ),
}  # fmt: skip


D = "/usr/share/app/telemetry-defaults.toml"
PACKAGERS: dict[str, PackagerReading | None] = {
    "not-consulted": None,
    "missing": PackagerReading(D, "missing"),
    "says-nothing": PackagerReading(D, "ok"),
    "opt-in": PackagerReading(D, "ok", mode="opt-in", settings=(("telemetry.mode", '"opt-in"'),)),
    "opt-out": PackagerReading(
        D, "ok", mode="opt-out", settings=(("telemetry.mode", '"opt-out"'),)
    ),
    "off-health": PackagerReading(
        D, "ok", off_purposes=("health",),
        settings=(("telemetry.disabled_purposes", '["health"]'),),
    ),
    "endpoint": PackagerReading(
        D, "ok", endpoint="https://distro.example/c",
        settings=(("telemetry.endpoint", '"https://distro.example/c"'),),
    ),
    "error": PackagerReading(D, "error", "is not valid TOML (x)"),
    "error-silent": PackagerReading(D, "error"),  # in error, whatever its problem says
    "every-key": PackagerReading(
        D, "ok", mode="opt-in", off_purposes=("usage", "health"),
        endpoint="https://distro.example/c",
        settings=(("telemetry.mode", '"opt-in"'), ("telemetry.endpoint", '"https://distro.example/c"')),
    ),
    "ambiguous-endpoint": PackagerReading(
        D, "ok", "has the unknown key 'telemetry.x'", endpoint="https://distro.example/c",
    ),
    "ambiguous": PackagerReading(
        D, "ok", "has the unknown key 'telemetry.enabled'",
        settings=(("telemetry.enabled", "true"),),
    ),
}  # fmt: skip
PURPOSES = ("usage", "health")
PURPOSE_POLICIES: dict[str, tuple[PolicyReading, ...] | None] = {
    "missing": (PolicyReading("/etc/p.toml", "missing", False),),
    "allows": (PolicyReading("/etc/p.toml", "ok", False),),
    "locks": (PolicyReading("/etc/p.toml", "ok", True),),
    "error": (PolicyReading("/etc/p.toml", "error", True, "is not a regular file"),),
    "locks-usage": (PolicyReading("/etc/p.toml", "ok", False, "", ("usage",)),),
    "locks-both": (PolicyReading("/etc/p.toml", "ok", False, "", ("usage", "health")),),
    "local": (PolicyReading("/etc/p.toml", "ok", False, "", (), True),),
    "locks-usage-local": (PolicyReading("/etc/p.toml", "ok", False, "", ("usage",), True),),
    # `enabled = false` with `mode = "local"` (consent/_core/records.py, policy_terms): it locks.
    "locks-local": (
        PolicyReading("/etc/p.toml", "ok", True, "", (), True, "telemetry.enabled"),
    ),
    "linked": (
        PolicyReading(
            "/etc/p.toml", "ok", False, settings=(("telemetry.mode", '"send"'),),
            target="/srv/policies/p.toml",
        ),
    ),
}  # fmt: skip
PURPOSE_CONFIGS: dict[str, ConfigReading | None] = {
    "missing": ConfigReading("/c.toml", "missing"),
    "error": ConfigReading("/c.toml", "error", problem="is not valid TOML (x)"),
    "enabled": CONFIGS["enabled"],
    "enabled-usage": ConfigReading(
        "/c.toml", "ok", ConsentRecord(True, VERSION, enabled_purposes="usage")
    ),
    "enabled-none": ConfigReading(
        "/c.toml", "ok", ConsentRecord(True, VERSION, enabled_purposes="")
    ),
    "enabled-usage-unknown": ConfigReading(
        "/c.toml", "ok", ConsentRecord(True, VERSION, enabled_purposes="usage maps")
    ),
    "disabled-health": ConfigReading(
        "/c.toml", "ok", ConsentRecord(True, VERSION, disabled_purposes="health")
    ),
    "disabled": ConfigReading("/c.toml", "ok", ConsentRecord(False, None, None, "prompt")),
    "shown": CONFIGS["shown"],
    "shown-disabled-usage": ConfigReading(
        "/c.toml", "ok", ConsentRecord(notice_shown_version=VERSION, disabled_purposes="usage")
    ),
    "local": ConfigReading("/c.toml", "ok", ConsentRecord(True, VERSION, mode="local")),
    "local-disabled": ConfigReading("/c.toml", "ok", ConsentRecord(False, mode="local")),
    "local-shown": ConfigReading(
        "/c.toml", "ok", ConsentRecord(notice_shown_version=VERSION, mode="local")
    ),
    "send": ConfigReading("/c.toml", "ok", ConsentRecord(True, VERSION, mode="send")),
    "local-usage-only": ConfigReading(
        "/c.toml", "ok", ConsentRecord(mode="local", local_purposes="usage")
    ),
    "both-ways": ConfigReading(
        "/c.toml", "ok",
        ConsentRecord(True, VERSION, enabled_purposes="usage", disabled_purposes="health maps"),
    ),
    "local-keeps-a-no": ConfigReading(
        "/c.toml", "ok",
        ConsentRecord(disabled_purposes="usage", mode="local", local_purposes="usage health"),
    ),
    "local-keeps-a-no-shown": ConfigReading(
        "/c.toml", "ok",
        ConsentRecord(
            disabled_purposes="usage", mode="local", local_purposes="usage health",
            notice_shown_version=VERSION,
        ),
    ),
}  # fmt: skip


def plain(value: Any) -> Any:
    if isinstance(value, SourceVote | DecidedBy):
        origin = ",".join(f"{k}={v}" for k, v in sorted(value.origin.items()))
        vote = getattr(value, "vote", "decides")
        return f"{value.source} {vote}: {value.detail} [{origin}]"
    if isinstance(value, Decision):
        # What callers ask of it, besides its fields: the verdict of each purpose (and of one it
        # does not know: dropped), the endpoints the wire takes from it, local mode.
        asked = {
            "verdicts": {p.purpose: value.verdict(p.purpose) for p in value.purposes},
            "unknown purpose": [value.verdict("unknown"), value.for_purpose("unknown")],
            "endpoint_url": value.endpoint_url,
            "default_url": value.default_url,
            "local": value.local,
        }
        return {**{k: plain(v) for k, v in value.asdict().items()}, "asked": asked}
    if isinstance(value, Record):  # each purpose's part of the Decision
        return {k: plain(v) for k, v in value.asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def test_every_decision_is_as_pinned() -> None:
    got = {name: plain(decide(inputs)) for name, inputs in cases().items()}
    if os.environ.get("CONSENT_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=0, sort_keys=True) + "\n", "utf-8")
    want = json.loads(GOLDEN.read_text("utf-8"))
    assert sorted(got) == sorted(want)
    for name in sorted(got):
        assert got[name] == want[name], name
