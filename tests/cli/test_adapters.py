"""The click and argparse adapters in-process: what each install refuses (with what to do), the
command path from the program's own tree at any depth, never from argument values."""

from __future__ import annotations

import argparse

import click
import pytest
import typer
from click.testing import CliRunner

from consent import ConsentError, install
from consent.argparse import install as install_argparse
from consent.argparse import run
from consent.click import install as install_click
from consent.testing.home import Home
from consent.testing.runs import current_command
from tests.apps.acme import SPEC


@pytest.fixture
def debug(consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> Home:
    """Enabled, in debug mode: every screenview is printed and logged, never sent."""
    consent_home.enable(SPEC)
    monkeypatch.setenv("ACME_TELEMETRY_DEBUG", "1")
    return consent_home


def recorded(home: Home) -> list[str]:
    return [str(e["hit"]["command"]) for e in home.log(SPEC)]  # type: ignore[index]


# --- click ---------------------------------------------------------------------------------------


def click_app() -> click.Group:
    @click.group()
    def cli() -> None:
        pass

    @cli.command()
    @click.argument("name")
    def hello(name: str) -> None:
        click.echo(f"Hello, {name}!")

    @cli.group(invoke_without_command=True)
    @click.pass_context
    def remote(ctx: click.Context) -> None:
        if ctx.invoked_subcommand is None:
            click.echo("remotes")

    @remote.group()
    def tag() -> None:
        pass

    @tag.command("add")
    @click.argument("name")
    def tag_add(name: str) -> None:
        click.echo(f"tagged {name}")

    return cli


@pytest.mark.parametrize(
    ("args", "out", "path"),
    [
        (["hello", "deploy"], "Hello, deploy!\n", ["acme hello"]),
        (["remote"], "remotes\n", ["acme remote"]),
        (["remote", "tag", "add", "x"], "tagged x\n", ["acme remote tag add"]),
        (["remote", "tag", "add", "x", "--disable-analytics"], "tagged x\n", []),
        (["--disable-analytics", "remote", "tag", "add", "x"], "tagged x\n", []),
    ],
)
def test_click_records_the_path_from_its_tree(
    debug: Home, args: list[str], out: str, path: list[str]
) -> None:
    cli = install_click(click_app(), SPEC)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    # click 8.1's runner mixes the debug request (stderr) into stdout; 8.2 keeps them apart.
    assert result.exit_code == 0 and result.stdout.endswith(out)
    assert recorded(debug) == path


def test_click_telemetry_group_is_built_only_when_used(debug: Home) -> None:
    cli = install_click(click_app(), SPEC)
    assert CliRunner().invoke(cli, ["hello", "x"]).exit_code == 0
    assert "telemetry" not in cli.commands
    help_text = CliRunner().invoke(cli, ["--help"]).stdout
    assert "telemetry" in help_text and "--disable-analytics" in help_text
    result = CliRunner().invoke(cli, ["telemetry", "status", "--json"])
    assert result.exit_code == 0 and '"enabled": true' in result.stdout
    assert "telemetry" in cli.commands


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: click.Command("one", callback=lambda: None), "single command"),
        (typer.Typer, "from consent import install"),
        (argparse.ArgumentParser, "click.Group"),
    ],
)
def test_click_install_refuses_what_it_cannot_take(make: object, words: str) -> None:
    with pytest.raises(ConsentError, match=words):
        install_click(make(), SPEC)  # type: ignore[operator]


def test_click_install_refuses_a_clash_and_a_second_install() -> None:
    cli = click_app()
    cli.add_command(click.Command("telemetry"))
    with pytest.raises(ConsentError, match="already has a command named 'telemetry'") as info:
        install_click(cli, SPEC)
    assert 'group="…"' in str(info.value)
    cli = install_click(click_app(), SPEC, group="privacy")
    with pytest.raises(ConsentError, match="already installed"):
        install_click(cli, SPEC)


def test_typer_install_points_other_frameworks_to_their_adapter() -> None:
    with pytest.raises(ConsentError, match=r"consent\.click"):
        install(click_app(), SPEC)  # type: ignore[arg-type]
    with pytest.raises(ConsentError, match=r"consent\.argparse"):
        install(argparse.ArgumentParser(), SPEC)  # type: ignore[arg-type]


# --- argparse ------------------------------------------------------------------------------------


def argparse_app() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="acme")
    commands = parser.add_subparsers(dest="command")
    hello = commands.add_parser("hello", aliases=["hi"])
    hello.add_argument("name")
    remote = commands.add_parser("remote")
    below = remote.add_subparsers(dest="remote_command")
    tag = below.add_parser("tag").add_subparsers(dest="tag_command", required=True)
    tag.add_parser("add").add_argument("name")
    return parser


@pytest.mark.parametrize(
    ("args", "path"),
    [
        (["hello", "remote"], ["acme hello"]),  # an argument value that is a command name
        (["hi", "x"], ["acme hello"]),  # an alias: the command's own name
        (["remote"], ["acme remote"]),
        (["remote", "tag", "add", "deploy"], ["acme remote tag add"]),
        (["remote", "tag", "add", "x", "--disable-analytics"], []),
        (["--disable-analytics", "remote", "tag", "add", "x"], []),
        ([], ["acme"]),
    ],
)
def test_argparse_records_the_path_from_the_chosen_subparsers(
    debug: Home, args: list[str], path: list[str]
) -> None:
    parser = install_argparse(argparse_app(), SPEC)
    with run(parser, parser.parse_args(args)):
        # The program runs its command here: the run lasts as long as the block.
        assert current_command(SPEC) == (path[0] if path else "acme remote tag add")
    assert recorded(debug) == path
    assert current_command(SPEC) is None


def test_argparse_runs_a_telemetry_command_and_exits(
    debug: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = install_argparse(argparse_app(), SPEC)
    with pytest.raises(SystemExit) as exited:
        run(parser, parser.parse_args(["telemetry", "show-payload", "remote", "tag", "add", "x"]))
    assert exited.value.code == 0
    assert '"command":"acme remote tag add"' in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        run(parser, parser.parse_args(["telemetry", "enable", "nope"]))
    assert exited.value.code == 2 and "not a purpose of acme" in capsys.readouterr().err
    assert recorded(debug) == []


def test_argparse_install_refuses_what_it_cannot_take() -> None:
    with pytest.raises(ConsentError, match="no subcommands") as info:
        install_argparse(argparse.ArgumentParser(), SPEC)
    assert "add_subparsers" in str(info.value)
    with pytest.raises(ConsentError, match="ArgumentParser"):
        install_argparse(click_app(), SPEC)  # type: ignore[arg-type]
    clash = argparse_app()
    clash._subparsers._group_actions[0].add_parser("telemetry")  # type: ignore[union-attr]
    with pytest.raises(ConsentError, match="already has a command named 'telemetry'"):
        install_argparse(clash, SPEC)
    taken = argparse_app()
    taken.add_argument("--disable-analytics", action="store_true")
    with pytest.raises(ConsentError, match="already has an option --disable-analytics"):
        install_argparse(taken, SPEC)
    below = (
        argparse_app()
    )  # the flag is added as a made action: a subcommand's clash is refused too
    remote = below._subparsers._group_actions[0].choices["remote"]  # type: ignore[union-attr]
    remote.add_argument("--disable-analytics", action="store_true")
    with pytest.raises(ConsentError, match="already has an option --disable-analytics"):
        install_argparse(below, SPEC)
    plus = argparse.ArgumentParser(prefix_chars="+")
    plus.add_subparsers(dest="command").add_parser("hello")
    with pytest.raises(ConsentError, match="takes no option that starts with '-'"):
        install_argparse(plus, SPEC)
    parser = install_argparse(argparse_app(), SPEC)
    with pytest.raises(ConsentError, match="already installed"):
        install_argparse(parser, SPEC)
    with pytest.raises(ConsentError, match=r"install\(parser, SPEC\)"):
        run(argparse_app(), argparse.Namespace())
