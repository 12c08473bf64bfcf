"""Issue 11, point 6: `install()` at the edges: single-command apps, a clash with the group's name
(and `group=`), and `--disable-analytics` before or after the command name at any depth."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from consent import ConsentError, install
from consent._start import FLAG
from consent.testing.home import Home
from tests.apps.acme import SPEC
from tests.helpers import Iso, run_lumogon

ROOT = Path(__file__).resolve().parent.parent.parent


def invoke(home: Home, app: typer.Typer, *args: str) -> tuple[int, str, list[str]]:
    """Run in-process in debug mode with consent given: (exit code, stdout, commands recorded)."""
    before = len(home.log(SPEC))
    result = CliRunner().invoke(app, list(args), env={"ACME_TELEMETRY_DEBUG": "1"})
    recorded = [str(e["hit"]["command"]) for e in home.log(SPEC)[before:]]  # type: ignore[index]
    return result.exit_code, result.stdout, recorded


@pytest.fixture
def home(consent_home: Home) -> Home:
    consent_home.enable(SPEC)
    return consent_home


def single() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def greet(name: str, loud: Annotated[bool, typer.Option("--loud")] = False) -> None:
        """Greet NAME."""
        typer.echo(f"Hello {name}{'!' if loud else '.'}")

    return install(app, SPEC)


def test_a_single_command_app_keeps_its_shape(home: Home) -> None:
    app = single()
    assert invoke(home, app, "ada") == (0, "Hello ada.\n", ["acme"])
    assert invoke(home, app, "--loud", "ada") == (0, "Hello ada!\n", ["acme"])
    assert invoke(home, app, FLAG, "ada")[1:] == ("Hello ada.\n", [])
    assert invoke(home, app, "ada", FLAG, "--loud")[1:] == ("Hello ada!\n", [])
    help_text = " ".join(CliRunner().invoke(app, ["--help"]).stdout.replace("│", " ").split())
    assert "Greet NAME." in help_text and FLAG in help_text and "acme telemetry status" in help_text


def test_a_single_command_app_reaches_the_telemetry_commands(home: Home) -> None:
    app = single()
    status = CliRunner().invoke(app, ["telemetry", "status"])
    assert status.exit_code == 0 and status.stdout.startswith("Telemetry for acme is enabled")
    flagged = CliRunner().invoke(app, ["telemetry", "status", FLAG])
    assert "Telemetry for acme is disabled" in flagged.stdout
    shown = CliRunner().invoke(app, ["telemetry", "show-payload", "--json"])
    assert shown.exit_code == 0 and '"command\\":\\"acme\\"' in shown.stdout


def test_a_single_command_app_as_a_real_program(consent_home: Home) -> None:
    code = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        import typer
        from consent import install
        from tests.apps.acme import SPEC
        app = typer.Typer()

        @app.command()
        def greet(name: str) -> None:
            typer.echo(f"Hello {{name}}")

        install(app, SPEC)
        app(prog_name="greet")
        """
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            env=consent_home.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert run("ada").stdout == "Hello ada\n"
    assert run("telemetry", "enable").returncode == 0
    assert run("telemetry", "status").stdout.startswith("Telemetry for acme is enabled")


def clashing(kind: str) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def build() -> None:
        typer.echo("built")

    if kind == "command":

        @app.command("telemetry")
        def own() -> None:
            typer.echo("the host's own telemetry")

    elif kind == "function":

        @app.command()
        def telemetry() -> None:
            typer.echo("the host's own telemetry")

    else:
        sub = typer.Typer()

        @sub.command()
        def upload() -> None:
            typer.echo("uploaded")

        app.add_typer(sub, name="telemetry")
    return app


@pytest.mark.parametrize("kind", ["command", "function", "group"])
def test_a_clash_with_the_groups_name_is_an_error_naming_it(kind: str) -> None:
    with pytest.raises(ConsentError, match=r"already has a command named 'telemetry'") as caught:
        install(clashing(kind), SPEC)
    assert 'group="…"' in str(caught.value)


@pytest.mark.parametrize("kind", ["command", "group"])
def test_group_chooses_another_name(home: Home, kind: str) -> None:
    app = install(clashing(kind), SPEC, group="privacy")
    status = CliRunner().invoke(app, ["privacy", "status"])
    assert status.exit_code == 0 and "Telemetry for acme is enabled" in status.stdout
    own = CliRunner().invoke(app, ["telemetry"] if kind == "command" else ["telemetry", "upload"])
    assert own.stdout in ("the host's own telemetry\n", "uploaded\n")
    assert invoke(home, app, "build") == (0, "built\n", ["acme build"])
    notice = CliRunner().invoke(app, ["privacy", "notice"]).stdout
    assert "`acme privacy disable`" in notice and "acme telemetry" not in notice
    disabled = CliRunner().invoke(app, ["privacy", "disable"])
    assert disabled.exit_code == 0, disabled.stdout


def test_a_clash_added_after_install_fails_at_run_time() -> None:
    app = typer.Typer()

    @app.command()
    def build() -> None:
        typer.echo("built")

    @app.command()
    def test() -> None:
        typer.echo("tested")

    install(app, SPEC)

    @app.command("telemetry")
    def late() -> None:
        typer.echo("late")

    result = CliRunner().invoke(app, ["build"])
    assert isinstance(result.exception, ConsentError)
    assert "'telemetry'" in str(result.exception)


def nested() -> typer.Typer:
    app = typer.Typer()
    cloud = typer.Typer()
    db = typer.Typer()
    app.add_typer(cloud, name="cloud")
    cloud.add_typer(db, name="db")

    @app.command()
    def build(path: str = ".") -> None:
        typer.echo("built")

    @db.command()
    def migrate(target: str) -> None:
        typer.echo(f"migrated {target}")

    return install(app, SPEC)


@pytest.mark.parametrize(
    "args",
    [
        [FLAG, "cloud", "db", "migrate", "x"],
        ["cloud", FLAG, "db", "migrate", "x"],
        ["cloud", "db", FLAG, "migrate", "x"],
        ["cloud", "db", "migrate", FLAG, "x"],
        ["cloud", "db", "migrate", "x", FLAG],
    ],
)
def test_the_flag_works_before_or_after_the_command_name_at_any_depth(
    home: Home, args: list[str]
) -> None:
    app = nested()
    assert invoke(home, app, "cloud", "db", "migrate", "x") == (
        0,
        "migrated x\n",
        ["acme cloud db migrate"],
    )
    assert invoke(home, app, *args) == (0, "migrated x\n", [])


def every_command(command: Any, path: list[str]) -> list[list[str]]:
    found = [path]
    for name, child in (getattr(command, "commands", None) or {}).items():
        found += every_command(child, [*path, name])
    return found


@pytest.mark.parametrize("make", [nested, single])
def test_every_commands_help_shows_the_flag(make: Any) -> None:
    app = make()
    runner = CliRunner()
    root = typer.main.get_command(app)
    paths = every_command(root, [])
    for sub in ("status", "enable", "disable", "reset", "id", "show-payload", "notice", "log"):
        paths.append(["telemetry", sub])
    for path in paths:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.stdout)
        assert FLAG in result.stdout, path


def test_lumogon_accepts_the_flag_after_the_command(iso: Iso) -> None:
    for args in (["version", FLAG], [FLAG, "version"], ["telemetry", "status", FLAG]):
        proc = run_lumogon(iso, *args)
        assert proc.returncode == 0, proc.stderr
    assert "flag" in run_lumogon(iso, "telemetry", "status", FLAG).stdout.split("decided by:")[1]
    help_text = run_lumogon(iso, "version", "--help").stdout
    assert FLAG in help_text
