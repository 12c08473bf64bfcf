"""Building an AppSpec stores its arguments; the whole check (the protocol's included) runs at its
first use and in the pytest plugin, so that a bad spec fails its author's tests and never a
person's command (consent/_core/spec.py `AppSpec.check`, consent/testing/plugin.py)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable

import pytest

from consent import AppSpec
from consent._errors import SpecError
from consent.testing.plugin import check_specs
from tests.helpers import PROCESS_TIMEOUT, Iso, opt_in_spec

USES: list[Callable[[AppSpec], object]] = [
    lambda s: s.notice_version,  # a decision, a notice, a question
    lambda s: s.event("command"),  # a hit
    lambda s: s.field("cid"),
    lambda s: s.check(),
]


def test_building_checks_nothing_and_each_first_use_checks() -> None:
    for use in USES:
        spec = opt_in_spec(mode="sometimes", contact="")  # builds
        with pytest.raises(SpecError, match="mode 'sometimes'") as caught:
            use(spec)
        assert "contact is required" in str(caught.value)  # every problem at once
        with pytest.raises(SpecError):
            spec.check()  # the test takes the answer: the plugin leaves this spec to it
    check_specs()


def test_a_good_spec_is_checked_once() -> None:
    spec = opt_in_spec()
    assert spec._lookup is None
    spec.check()
    lookup = spec._lookup
    assert lookup is not None and spec.event("command").name == "command"
    assert spec._lookup is lookup


def test_the_plugin_fails_the_test_that_built_a_bad_spec_once() -> None:
    opt_in_spec(mode="sometimes")
    with pytest.raises(pytest.fail.Exception, match="a spec built in this test is invalid"):
        check_specs()
    check_specs()  # reported once: the next test is not failed for it


def test_a_bad_spec_a_host_path_refused_quietly_still_fails_the_test() -> None:
    spec = opt_in_spec(mode="sometimes")
    with contextlib.suppress(SpecError):  # what a host command does: it never breaks for it
        _ = spec.notice_version
    with pytest.raises(pytest.fail.Exception, match="mode 'sometimes'"):
        check_specs()


PROGRAM = """import argparse
from consent.argparse import install, run
from lumogon.spec import SPEC

parser = argparse.ArgumentParser(prog="lumogon")
parser.add_subparsers(dest="command", required=True).add_parser("version")
install(parser, SPEC.replace(mode="sometimes"))
run(parser, parser.parse_args())
print("lumogon 0.1.0")
"""


@pytest.mark.parametrize(
    "env", [{"LUMOGON_DISABLE_ANALYTICS": "1"}, {"LUMOGON_TELEMETRY_DEBUG": "1"}, {}]
)
def test_a_bad_spec_never_breaks_a_host_command(iso: Iso, env: dict[str, str]) -> None:
    """Off at the start, decided in full (debug), and awaiting the notice: the command runs."""
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, "version"],
        env={**iso.env, **env},
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (0, "lumogon 0.1.0\n"), proc.stderr
    assert "Traceback" not in proc.stderr
