"""The benchmark's registry: which commands run, with which env, grouped how.

Everything the harness measures is declared here as data. ``run.py`` only executes it.

A *scenario* is one whole-process command (one row in a table). A *group* is a set of scenarios
run interleaved (A B C A B C ...) and compared with the group's baseline (one table).

Where consent plugs in: see ``CONSENT`` below. Its entries are already declared; each is
reported as "pending" until the file or command it needs exists, then it is measured with no
other change.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent

Interpreter = Literal["harness", "peers"]
Network = Literal["ok", "blackhole", "refused"]
NETWORKS: tuple[Network, ...] = ("ok", "blackhole", "refused")

# Placeholders in argv and requires, filled in by run.py:
#   {python} the interpreter chosen by ``interpreter`` (harness's own, or bench/.venv-peers)
#   {bin}    the bin/ directory of the harness's interpreter (where console scripts live)
#   {root}   the repository root


@dataclass(frozen=True)
class Context:
    """What a scenario's setup hook gets: its private HOME and the env its runs will use."""

    home: Path
    env: dict[str, str]
    python: str  # the scenario's interpreter
    bin: Path  # the harness interpreter's bin/ (console scripts such as `lumogon`)


Setup = Callable[[Context], None]


@dataclass(frozen=True)
class Peer:
    """A telemetry library from PyPI, installed into bench/.venv-peers."""

    key: str
    requirement: str  # pinned, so a report can be reproduced
    dist: str  # distribution name, for the version shown in the report
    module: str  # must import in the peers venv, or the peer is reported as failed
    known_issue: str = ""  # said next to the install/import error when it fails


@dataclass(frozen=True)
class Scenario:
    """One command measured as a whole process.

    name:        row label; unique across the registry (it also names the scenario's HOME).
    argv:        the command, with the placeholders above.
    interpreter: which Python fills {python}.
    env:         added to the clean base env (PATH, LANG, HOME and XDG dirs of its own).
    network:     sink whose URL is given in BENCH_ENDPOINT. None = the command should send
                 nothing: the URL is then the ok sink's, as a trap, and any request that
                 arrives is flagged (so a stray send never leaves loopback either).
    endpoint_env: a further env var that gets the same URL (a CLI's own override variable).
    proxy_env:   an env var that gets the same URL as a proxy (`HTTPS_PROXY`): the sink is then
                 the proxy, and the command keeps its own https destination, which it can only
                 reach through that proxy (so nothing leaves loopback).
    expect_hit:  in the ok network, every run must deliver >= 1 request to the sink, else the
                 row is flagged (a sender that is "fast" because it sent nothing).
    peer:        the Peer it needs (install + import check), if any.
    requires:    paths (placeholders allowed) that must exist, else the row is "pending".
    consent:     runs consent's code: measured only if the `consent` that the harness's
                 interpreter imports is this checkout's (else "pending"), so a report never
                 mixes in another worktree's consent.
    setup:       called once before the warm-up: prepare config files under ctx.home etc.
    note:        shown in the report.
    depth:       start this many directories below the empty working directory (outside the
                 scenario's HOME), not in it: the per-project search's worst case.
    """

    name: str
    argv: tuple[str, ...]
    interpreter: Interpreter = "harness"
    env: Mapping[str, str] = field(default_factory=dict)
    network: Network | None = None
    endpoint_env: str | None = None
    proxy_env: str | None = None
    expect_hit: bool = False
    peer: str | None = None
    requires: tuple[str, ...] = ()
    consent: bool = False
    setup: Setup | None = None
    note: str = ""
    depth: int = 0


@dataclass(frozen=True)
class Group:
    """Scenarios run interleaved and compared with a baseline.

    baseline: names in order of preference; the first one that was measured is used.
    """

    name: str
    title: str
    description: str
    scenarios: tuple[Scenario, ...]
    baseline: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Peers: other Python telemetry senders, from PyPI.
# --------------------------------------------------------------------------------------------
PEERS: dict[str, Peer] = {
    p.key: p
    for p in (
        Peer("ga4mp", "ga4mp==2.0.4", "ga4mp", "ga4mp"),
        Peer(
            "universal-analytics-python",
            "universal-analytics-python==0.2.4",
            "universal-analytics-python",
            "UniversalAnalytics",
            known_issue=(
                "Python 2 only: setup.py uses `print >>sys.stderr` and the package imports "
                "`urllib2`, `cStringIO` and uses implicit relative imports, so it can neither "
                "install nor import on Python 3; measured instead through its Python 3 fork "
                "universal-analytics-python3 (same API and wire format)"
            ),
        ),
        Peer(
            "universal-analytics-python3",
            "universal-analytics-python3==1.1.1",
            "universal-analytics-python3",
            "universal_analytics",
        ),
        Peer("posthog", "posthog==7.91.1", "posthog", "posthog"),
        Peer(
            "segment-analytics-python",
            "segment-analytics-python==2.4.0",
            "segment-analytics-python",
            "segment.analytics",
        ),
        Peer("scarf-sdk", "scarf-sdk==0.2.1", "scarf-sdk", "scarf"),
        Peer(
            "iterative-telemetry",
            "iterative-telemetry==0.0.10",
            "iterative-telemetry",
            "iterative_telemetry",
        ),
        # Pulls in kedro itself (the plugin module imports it): heavier, but that is its cost.
        Peer("kedro-telemetry", "kedro-telemetry==0.9.0", "kedro-telemetry", "kedro_telemetry.api"),
    )
}


def _peer(name: str, script: str, peer: str, note: str = "", **env: str) -> Scenario:
    return Scenario(
        name=name,
        argv=("{python}", f"{{root}}/bench/peers/{script}"),
        interpreter="peers",
        env=env,
        expect_hit=True,
        peer=peer,
        note=note,
    )


# One hit per run, to BENCH_ENDPOINT, otherwise default settings. See each script's docstring.
PEER_SENDERS: tuple[Scenario, ...] = (
    _peer("ga4mp", "ga4mp_peer.py", "ga4mp", "urlopen without timeout"),
    _peer(
        "universal-analytics-python",
        "universal_analytics_py2_peer.py",
        "universal-analytics-python",
    ),
    _peer(
        "universal-analytics-python3",
        "universal_analytics_peer.py",
        "universal-analytics-python3",
        "httpx, default 5 s timeout",
    ),
    _peer("posthog", "posthog_peer.py", "posthog", "atexit flush, 1 s budget"),
    _peer(
        "posthog + shutdown()",
        "posthog_peer.py",
        "posthog",
        "explicit shutdown() flush",
        BENCH_VARIANT="shutdown",
    ),
    _peer("segment-analytics-python", "segment_peer.py", "segment-analytics-python"),
    _peer("scarf-sdk", "scarf_peer.py", "scarf-sdk", "synchronous, 3 s timeout"),
    _peer(
        "iterative-telemetry (detached)",
        "iterative_peer.py",
        "iterative-telemetry",
        "child: python -c, same session, inherits stdout/stderr",
    ),
    _peer(
        "iterative-telemetry (thread)",
        "iterative_peer.py",
        "iterative-telemetry",
        "non-daemon thread, 2 s timeout",
        BENCH_VARIANT="thread",
    ),
    _peer("kedro-telemetry", "kedro_peer.py", "kedro-telemetry", "synchronous, 10 s timeout"),
)

# --------------------------------------------------------------------------------------------
# Floors: what no sender can beat.
# --------------------------------------------------------------------------------------------
PYTHON_PASS = Scenario(
    "python -c pass", ("{python}", "-c", "pass"), note="interpreter start-up alone"
)
PYTHON_PASS_PEERS = Scenario(
    "python -c pass (peers venv)",
    ("{python}", "-c", "pass"),
    interpreter="peers",
    note="the same, with the peers' interpreter",
)
STDLIB_DETACHED = Scenario(
    "stdlib detached (floor)",
    ("{python}", "{root}/bench/peers/stdlib_detached.py"),
    expect_hit=True,
    note="detached child, payload on stdin, 3 s socket timeout",
)
BARE_TYPER = Scenario(
    "bare typer app `version`",
    ("{python}", "{root}/bench/apps/bare_typer.py", "version"),
    note="one-command typer app, no telemetry",
)

BARE_CLICK = Scenario(
    "bare click program `version`",
    ("{python}", "{root}/bench/apps/bare_click.py", "version"),
    note="one-command click group, no telemetry",
)
BARE_ARGPARSE = Scenario(
    "bare argparse program `version`",
    ("{python}", "{root}/bench/apps/bare_argparse.py", "version"),
    note="one-subcommand argparse parser, no telemetry",
)

# --------------------------------------------------------------------------------------------
# CONSENT: the scenarios that show what consent costs. Add or adjust consent's rows HERE.
#
# Each entry is measured as soon as everything in its ``requires`` exists and the harness's
# interpreter imports consent from this checkout (``pip install -e . -e ./lumogon`` into it); until then it
# shows as "pending" in the report, with the reason. To add one:
#   1. write the script under bench/apps/ (consent_api.py: send ONE hit through consent's public
#      API to os.environ["BENCH_ENDPOINT"], exit at once); lumogon rows use the `lumogon`
#      console script next to the harness's interpreter;
#   2. give it the env it needs (e.g. LUMOGON_DISABLE_ANALYTICS=1) and, for state on disk, a
#      ``setup(ctx)`` that makes it under the scenario's private HOME (ctx.home; XDG dirs set);
#   3. put it in CONSENT_CLI (no network: compared with the bare typer app) or CONSENT_SENDERS
#      (run in ok/blackhole/refused: compared with the peers; consent_api becomes the baseline).
# The endpoint override env var used by lumogon (https only, http on loopback; see docs/security.md)
# is named in LUMOGON_ENDPOINT_ENV; rename it here if consent names it differently.
# --------------------------------------------------------------------------------------------
LUMOGON = "{bin}/lumogon"
LUMOGON_ENDPOINT_ENV = "LUMOGON_TELEMETRY_ENDPOINT"  # rename if consent names it differently
LUMOGON_CHEAP_COMMAND = ("version",)  # lumogon's cheapest command; adjust to the real one
CONSENT_API_SCRIPT = "{root}/bench/apps/consent_api.py"


def _run(ctx: Context, *argv: str) -> None:
    """Run a setup command once, to put state into the scenario's HOME."""
    subprocess.run(list(argv), env=ctx.env, check=True, capture_output=True, timeout=60)


def _lumogon(ctx: Context, *args: str) -> None:
    """Run lumogon once, as the user would, to put state into the scenario's HOME."""
    _run(ctx, str(ctx.bin / "lumogon"), *args)


CONSENT_CLI: tuple[Scenario, ...] = (
    Scenario(
        "lumogon, disabled by env",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        env={"LUMOGON_DISABLE_ANALYTICS": "1"},
        endpoint_env=LUMOGON_ENDPOINT_ENV,
        requires=(LUMOGON,),
        consent=True,
        note="LUMOGON_DISABLE_ANALYTICS=1",
    ),
    Scenario(
        "lumogon, disabled by config",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        endpoint_env=LUMOGON_ENDPOINT_ENV,
        requires=(LUMOGON,),
        consent=True,
        setup=lambda ctx: _lumogon(ctx, "telemetry", "disable"),
        note="`lumogon telemetry disable` run once before",
    ),
    Scenario(
        "lumogon, awaiting notice",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        endpoint_env=LUMOGON_ENDPOINT_ENV,
        requires=(LUMOGON,),
        consent=True,
        note="fresh HOME, non-interactive: no notice recorded, nothing sent",
    ),
    Scenario(
        "lumogon, awaiting notice, 40 directories deep",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        endpoint_env=LUMOGON_ENDPOINT_ENV,
        requires=(LUMOGON,),
        consent=True,
        depth=40,
        note="as above, run 40 directories below the empty directory: the per-project search looks "
        "in 32 (its limit)",
    ),
)


def _disabled_three_ways(framework: str, script: str) -> tuple[Scenario, ...]:
    """The bare program of `framework` with consent installed (lumogon's registry), disabled by
    env, by config and awaiting the notice: each adapter's disabled path."""
    argv = ("{python}", f"{{root}}/bench/apps/{script}")
    return (
        Scenario(
            f"{framework} + consent, disabled by env",
            (*argv, "version"),
            env={"LUMOGON_DISABLE_ANALYTICS": "1"},
            endpoint_env=LUMOGON_ENDPOINT_ENV,
            consent=True,
            note="LUMOGON_DISABLE_ANALYTICS=1",
        ),
        Scenario(
            f"{framework} + consent, disabled by config",
            (*argv, "version"),
            endpoint_env=LUMOGON_ENDPOINT_ENV,
            consent=True,
            setup=lambda ctx: _run(
                ctx, ctx.python, f"{ROOT}/bench/apps/{script}", "telemetry", "disable"
            ),
            note="`telemetry disable` run once before",
        ),
        Scenario(
            f"{framework} + consent, awaiting notice",
            (*argv, "version"),
            endpoint_env=LUMOGON_ENDPOINT_ENV,
            consent=True,
            note="fresh HOME, non-interactive: nothing recorded, nothing sent",
        ),
    )


# The same one-command program, bare and with consent, for each framework (bench/apps/).
CONSENT_TYPER = _disabled_three_ways("typer", "consent_typer.py")
CONSENT_CLICK = _disabled_three_ways("click", "consent_click.py")
CONSENT_ARGPARSE = _disabled_three_ways("argparse", "consent_argparse.py")

CONSENT_SENDERS: tuple[Scenario, ...] = (
    Scenario(
        "consent_api",
        ("{python}", CONSENT_API_SCRIPT),
        endpoint_env="BENCHAPP_TELEMETRY_ENDPOINT",
        expect_hit=True,
        requires=(CONSENT_API_SCRIPT,),
        consent=True,
        setup=lambda ctx: _run(ctx, ctx.python, CONSENT_API_SCRIPT.format(root=ROOT), "--enable"),
        note="one hit through consent's public API (`record_event`, no typer)",
    ),
    Scenario(
        "lumogon, enabled",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        endpoint_env=LUMOGON_ENDPOINT_ENV,
        expect_hit=True,
        requires=(LUMOGON,),
        consent=True,
        setup=lambda ctx: _lumogon(ctx, "telemetry", "enable"),
        note="consent recorded by `lumogon telemetry enable`",
    ),
    Scenario(
        "lumogon, telemetry off",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        env={"LUMOGON_DISABLE_ANALYTICS": "1"},
        endpoint_env=LUMOGON_ENDPOINT_ENV,
        requires=(LUMOGON,),
        consent=True,
        note="the same command, disabled by env: what sending adds",
    ),
)


# A proxy that hangs (the blackhole sink as HTTPS_PROXY: it reads the CONNECT and never answers)
# against the same hit sent directly to an endpoint that hangs. Nothing of either may reach the host.
CONSENT_PROXY: tuple[Scenario, ...] = (
    Scenario(
        "lumogon, enabled, no proxy",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        network="blackhole",
        endpoint_env=LUMOGON_ENDPOINT_ENV,
        requires=(LUMOGON,),
        consent=True,
        setup=lambda ctx: _lumogon(ctx, "telemetry", "enable"),
        note="HTTPS_PROXY unset; the endpoint (loopback) never answers",
    ),
    Scenario(
        "lumogon, enabled, HTTPS_PROXY hangs",
        (LUMOGON, *LUMOGON_CHEAP_COMMAND),
        network="blackhole",
        proxy_env="HTTPS_PROXY",
        requires=(LUMOGON,),
        consent=True,
        setup=lambda ctx: _lumogon(ctx, "telemetry", "enable"),
        note="lumogon's own destination through HTTPS_PROXY, a loopback proxy that never answers CONNECT",
    ),
)


# --------------------------------------------------------------------------------------------
# Groups: one table each.
# --------------------------------------------------------------------------------------------
def _senders_in(network: Network) -> tuple[Scenario, ...]:
    senders = (STDLIB_DETACHED, *CONSENT_SENDERS, *PEER_SENDERS)
    return tuple(replace(s, network=network) for s in senders)


_NET_TEXT = {
    "ok": "The endpoint answers 200 at once; every sender must deliver its hit (counted).",
    "blackhole": "The endpoint accepts the connection and never answers.",
    "refused": "Nothing listens on the port: connect fails at once.",
}

GROUPS: tuple[Group, ...] = (
    Group(
        name="cli",
        title="Start-up of a command, no network",
        description="Interpreter floor, a bare typer app, and lumogon with telemetry off.",
        scenarios=(BARE_TYPER, PYTHON_PASS, PYTHON_PASS_PEERS, *CONSENT_CLI, *CONSENT_TYPER),
        baseline=("bare typer app `version`",),
    ),
    Group(
        name="cli-click",
        title="Start-up of a click program, no network",
        description="A bare click program, and the same program with consent.click installed.",
        scenarios=(BARE_CLICK, *CONSENT_CLICK),
        baseline=("bare click program `version`",),
    ),
    Group(
        name="cli-argparse",
        title="Start-up of an argparse program, no network",
        description="A bare argparse program, and the same program with consent.argparse.",
        scenarios=(BARE_ARGPARSE, *CONSENT_ARGPARSE),
        baseline=("bare argparse program `version`",),
    ),
    *(
        Group(
            name=f"net-{net}",
            title=f"Sending one hit, endpoint {net}",
            description=_NET_TEXT[net],
            scenarios=_senders_in(net),
            baseline=("consent_api", "stdlib detached (floor)"),
        )
        for net in NETWORKS
    ),
    Group(
        name="proxy",
        title="Sending one hit through a proxy that hangs",
        description=(
            "The sender honours HTTPS_PROXY; the host must not wait for it either way. "
            "The proxy is the blackhole sink: it counts the sender's CONNECT request as its "
            "one request, and never answers."
        ),
        scenarios=CONSENT_PROXY,
        baseline=("lumogon, enabled, no proxy",),
    ),
)
