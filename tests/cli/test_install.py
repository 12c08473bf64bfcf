"""`install(app, spec)` into the shapes host apps come in: their own root callback (with or without a
context, with options, given to typer.Typer or registered), invoke_without_command, nested groups."""

from __future__ import annotations

from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from consent import ConsentError, install
from consent.testing.home import Home
from tests.apps.acme import SPEC


class Runs:
    """Runs an app in-process with telemetry enabled in debug mode; reads what it recorded."""

    def __init__(self, home: Home) -> None:
        self.home = home
        home.enable(SPEC)

    def __call__(self, app: typer.Typer, *args: str) -> tuple[str, list[str]]:
        before = len(self.home.log(SPEC))
        result = CliRunner().invoke(
            app, list(args), env={"ACME_TELEMETRY_DEBUG": "1"}, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        recorded = [str(e["hit"]["command"]) for e in self.home.log(SPEC)[before:]]  # type: ignore[index]
        return result.stdout, recorded


@pytest.fixture
def run(consent_home: Home) -> Runs:
    return Runs(consent_home)


def leaf_app(**kwargs: object) -> typer.Typer:
    app = typer.Typer(**kwargs)  # type: ignore[arg-type]

    @app.command()
    def build() -> None:
        typer.echo("built")

    @app.command()
    def test() -> None:
        typer.echo("tested")

    return app


def test_no_callback(run: Runs) -> None:
    app = install(leaf_app(), SPEC)
    assert run(app, "build") == ("built\n", ["acme build"])
    assert run(app, "--disable-analytics", "build") == ("built\n", [])


def test_host_callback_with_options_and_no_context(run: Runs) -> None:
    app = leaf_app()

    @app.callback()
    def main(
        profile: Annotated[str, typer.Option("--profile", "-p")] = "default",
        verbose: Annotated[bool, typer.Option("--verbose")] = False,
    ) -> None:
        """Acme does things."""
        typer.echo(f"profile={profile} verbose={verbose}")

    install(app, SPEC)
    assert run(app, "-p", "prod", "--verbose", "build") == (
        "profile=prod verbose=True\nbuilt\n",
        ["acme build"],
    )
    out, recorded = run(app, "--verbose", "--disable-analytics", "--profile", "x", "test")
    assert (out, recorded) == ("profile=x verbose=True\ntested\n", [])
    help_text = CliRunner().invoke(app, ["--help"]).stdout
    assert "Acme does things." in help_text
    assert "--profile" in help_text and "--disable-analytics" in help_text
    assert "prod" not in str(run.home.log(SPEC))  # option values never reach a hit


def test_host_callback_with_context_and_invoke_without_command(run: Runs) -> None:
    app = leaf_app(invoke_without_command=True)

    @app.callback()
    def main(ctx: typer.Context, name: Annotated[str, typer.Option()] = "world") -> None:
        typer.echo(f"hello {name} sub={ctx.invoked_subcommand}")

    install(app, SPEC)
    assert run(app) == ("hello world sub=None\n", ["acme"])
    assert run(app, "--name", "ada", "build") == ("hello ada sub=build\nbuilt\n", ["acme build"])
    assert run(app, "--disable-analytics") == ("hello world sub=None\n", [])


def test_callback_given_to_the_typer_constructor_is_kept(run: Runs) -> None:
    def main(region: Annotated[str, typer.Option()] = "eu") -> None:
        typer.echo(f"region={region}")

    app = install(leaf_app(callback=main), SPEC)
    assert run(app, "--region", "us", "build") == ("region=us\nbuilt\n", ["acme build"])


def test_nested_groups_with_their_own_callbacks(run: Runs) -> None:
    app = leaf_app()
    cloud = typer.Typer()
    db = typer.Typer(invoke_without_command=True)
    app.add_typer(cloud, name="cloud")
    cloud.add_typer(db, name="db")

    @cloud.callback()
    def cloud_main(zone: Annotated[str, typer.Option()] = "a") -> None:
        typer.echo(f"zone={zone}")

    @cloud.command("deploy")
    def deploy(target: str) -> None:
        typer.echo(f"deploy {target}")

    @db.callback()
    def db_main(ctx: typer.Context) -> None:
        if ctx.invoked_subcommand is None:
            typer.echo("db overview")

    @db.command("migrate")
    def migrate() -> None:
        typer.echo("migrated")

    install(app, SPEC)
    assert run(app, "cloud", "--zone", "b", "deploy", "/secret/path") == (
        "zone=b\ndeploy /secret/path\n",
        ["acme cloud deploy"],
    )
    assert run(app, "cloud", "db") == ("zone=a\ndb overview\n", ["acme cloud db"])
    assert run(app, "cloud", "db", "migrate") == ("zone=a\nmigrated\n", ["acme cloud db migrate"])
    assert run(app, "--disable-analytics", "cloud", "db", "migrate")[1] == []
    assert "/secret/path" not in str(run.home.log(SPEC))


def test_commands_added_after_install_are_recorded(run: Runs) -> None:
    app = install(leaf_app(), SPEC)

    @app.command()
    def late() -> None:
        typer.echo("late")

    assert run(app, "late") == ("late\n", ["acme late"])


def test_telemetry_commands_record_nothing(run: Runs) -> None:
    app = install(leaf_app(), SPEC)
    out, recorded = run(app, "telemetry", "status")
    assert "Telemetry for acme is enabled." in out and recorded == []


def test_installing_twice_is_refused() -> None:
    app = install(leaf_app(), SPEC)
    with pytest.raises(ConsentError, match="already installed"):
        install(app, SPEC)


def test_show_payload_names_a_group_that_runs_alone(run: Runs) -> None:
    app = leaf_app()
    db = typer.Typer(invoke_without_command=True)
    app.add_typer(db, name="db")
    plain = typer.Typer()
    app.add_typer(plain, name="plain")

    @db.callback()
    def db_main() -> None: ...

    @plain.command("x")
    def x() -> None: ...

    install(app, SPEC)
    out, _ = run(app, "telemetry", "show-payload", "db", "--json")
    assert '\\"command\\":\\"acme db\\"' in out
    refused = CliRunner().invoke(app, ["telemetry", "show-payload", "plain"])
    assert refused.exit_code == 1 and "is a group" in refused.stderr
