"""Acme's own telemetry tests (the argparse version), with the consent.testing pytest plugin."""

import subprocess
import sys

import pytest
from consent import decide
from consent.argparse import run

from acme_argparse.cli import parser
from acme_argparse.telemetry import SPEC


def acme(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "acme_argparse", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_off_until_someone_agrees(consent_home):
    decision = decide(SPEC)
    assert not decision.enabled and decision.pending == "question"


def test_disabled_opens_no_socket(consent_home, consent_sockets, capsys):
    consent_home.enable(SPEC)
    with consent_sockets:
        cli = parser()
        args = cli.parse_args(["hello", "ada", "--disable-analytics"])
        run(cli, args)
        args.func(args)
    assert capsys.readouterr().out == "Hello, ada!\n"
    proc = acme("hello", "ada", env={**consent_sockets.env(consent_home.env), "DO_NOT_TRACK": "1"})
    assert proc.stdout == "Hello, ada!\n"
    consent_sockets.assert_no_sockets()


def test_deploy_sends_two_valid_hits(consent_home, consent_collector):
    consent_home.enable(SPEC)
    env = {**consent_home.env, "ACME_TELEMETRY_ENDPOINT": consent_collector.url}
    assert acme("deploy", "prod", env=env).returncode == 0
    hits = consent_collector.wait_for(2, timeout=10)
    assert [h.valid for h in hits] == [True, True], [h.messages for h in hits]
    names = sorted(h.payload["events"][0]["name"] for h in hits)
    assert names == ["command_run", "deploy_finished"]


def test_telemetry_commands_exit_with_their_status(consent_home, consent_strict, capsys):
    cli = parser()
    with pytest.raises(SystemExit) as exited:
        run(cli, cli.parse_args(["telemetry", "status", "--json"]))
    assert exited.value.code == 0 and '"enabled": false' in capsys.readouterr().out
    assert consent_strict.refusals() == []
