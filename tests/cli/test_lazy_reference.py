"""The spec given to `install` as a lazy reference, `"package.module:NAME"` (consent/_start.py):
what install requires beside it, what a mismatch does the first time it loads, and that a
`telemetry` command of such a program loads it and works."""

from __future__ import annotations

import subprocess
import sys

import pytest

from consent._core.reference import spec_of
from consent._errors import ConsentError, SpecError
from consent._start import REFS, SpecRef, prepared
from consent.testing.plugin import check_references
from lumogon import SPEC
from tests.helpers import PROCESS_TIMEOUT, Iso


def loose(target: str, name: str, prefix: str, group: str | None = None) -> SpecRef:
    """A reference the pytest plugin does not check after the test (it checks every other)."""
    ref = SpecRef(target, name, prefix, group)
    REFS.remove(ref)
    return ref


def test_a_reference_needs_name_and_env_prefix() -> None:
    with pytest.raises(ConsentError) as caught:
        prepared("lumogon.spec:SPEC", group=None, name=None, env_prefix=None)
    assert caught.value.message == (
        "install() was given the spec as the reference 'lumogon.spec:SPEC' without name= and "
        "env_prefix="
    )
    assert caught.value.hint == (
        "pass them beside it, e.g. install(app, 'lumogon.spec:SPEC', name=\"acme\", "
        'env_prefix="ACME"): a run is decided by them before the spec loads'
    )
    for name, prefix, missing in (("lumogon", "", "env_prefix="), (None, "LUMOGON", "name=")):
        with pytest.raises(ConsentError) as caught:
            prepared("lumogon.spec:SPEC", group=None, name=name, env_prefix=prefix)
        assert caught.value.message.endswith(f"'lumogon.spec:SPEC' without {missing}")


def test_the_object_form_checks_the_arguments_given_beside_it() -> None:
    for name, prefix in (("lumogon", "LUMOGON"), (None, None), ("lumogon", None)):
        assert prepared(SPEC, group=None, name=name, env_prefix=prefix) is SPEC
    # The spec itself, not a copy, unless its group changes (a copy checks itself anew).
    assert prepared(SPEC, group="telemetry", name=None, env_prefix=None) is SPEC
    renamed = prepared(SPEC, group="consent", name=None, env_prefix=None)
    assert (renamed.group, renamed.commands) == ("consent", "lumogon consent")
    assert SPEC.group == "telemetry"
    with pytest.raises(SpecError, match="name='acme' but the spec's is 'lumogon'"):
        prepared(SPEC, group=None, name="acme", env_prefix=None)
    with pytest.raises(SpecError) as caught:
        prepared(SPEC, group=None, name="acme", env_prefix="ACME")
    assert caught.value.message == (
        "install() was given arguments that disagree with the spec: name='acme' but the "
        "spec's is 'lumogon'; env_prefix='ACME' but the spec's is 'LUMOGON'"
    )


def test_a_matching_reference_loads_the_spec_once() -> None:
    ref = prepared("lumogon.spec:SPEC", group=None, name="lumogon", env_prefix="LUMOGON")
    assert isinstance(ref, SpecRef) and not ref.loaded
    assert ref.disable_env == SPEC.disable_env and ref.commands == SPEC.commands
    assert spec_of(ref) is SPEC and spec_of(ref) is SPEC and ref.loaded
    renamed = SpecRef("lumogon.spec:SPEC", "lumogon", "LUMOGON", "consent")
    assert spec_of(renamed).group == "consent" and renamed.commands == "lumogon consent"


@pytest.mark.parametrize(
    ("target", "name", "prefix", "message"),
    [
        ("lumogon.spec:SPEC", "acme", "LUMOGON", "name='acme' but the spec's name is 'lumogon'"),
        ("lumogon.spec:SPEC", "lumogon", "ACME", "env_prefix='ACME' but the spec's env_prefix"),
        ("lumogon.spec", "lumogon", "LUMOGON", "not of the form 'package.module:NAME'"),
        ("lumogon.spec:NOPE", "lumogon", "LUMOGON", "cannot be loaded"),
        ("no_such_module_here:SPEC", "lumogon", "LUMOGON", "cannot be loaded"),
        ("lumogon.spec:VERSION", "lumogon", "LUMOGON", "is a str, not an AppSpec"),
    ],
)
def test_a_reference_that_disagrees_is_a_spec_error_when_it_loads(
    target: str, name: str, prefix: str, message: str
) -> None:
    ref = loose(target, name, prefix)
    with pytest.raises(SpecError, match=message):
        spec_of(ref)


def test_the_pytest_plugin_fails_a_test_whose_app_gives_a_bad_reference() -> None:
    SpecRef("lumogon.spec:SPEC", "acme", "ACME", None)
    with pytest.raises(pytest.fail.Exception, match="name='acme'"):
        check_references()
    check_references()  # reported once: the next test is not failed for it


PROGRAM = """import argparse
from consent.argparse import install, run

parser = argparse.ArgumentParser(prog="lumogon")
parser.add_subparsers(dest="command", required=True).add_parser("version")
install(parser, "lumogon.spec:SPEC", name="lumogon", env_prefix={prefix!r})
run(parser, parser.parse_args())
print("lumogon 0.1.0")
"""


def test_a_telemetry_command_loads_the_referenced_spec(iso: Iso) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(prefix="LUMOGON"), "telemetry", "status"],
        env=iso.env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "disabled" in proc.stdout.lower()


def test_a_mismatch_never_breaks_a_host_command(iso: Iso) -> None:
    """The host command's run would load the spec (nothing disables it, no terminal but a
    recorded consent): the mismatch is swallowed there, the command runs."""
    from consent._store.choices import record_choice

    record_choice(SPEC, iso.locs, enabled=True, via="test")
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM.format(prefix="ACME"), "version"],
        env=iso.env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "lumogon 0.1.0\n", "")
