"""A GA4, opt-in host app for the tests: commands with arguments, options and a nested group."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from consent import AppSpec, Destination, Event, Field, install, record_event

# ACME_REGISTRY_EXTRA adds a field to the registry, as a later release would; ACME_DROP_DEPLOYED
# removes the `deployed` event; ACME_MODE=opt-out turns the app opt-out; ACME_REGION=eu sends to
# Google's EU endpoint; ACME_NOTICE_DATE changes the notice's date.
_EXTRA = os.environ.get("ACME_REGISTRY_EXTRA", "")

FIELDS = (
    Field("client_id", "Pseudonymous id of this installation.", "6f1c2d3e-…", "client_id"),
    Field("name", "Which event happened.", "command_run", "hit_type"),
    Field("command", "The command that ran, without its arguments.", "acme build", "command"),
    Field("app_version", "The version of Acme.", "2.0.0", "app_version"),
    Field(
        "engagement_time_msec",
        "Required by GA4 for the event to show in reports.",
        "1",
        "constant",
        "1",
    ),
    Field("outcome", "Whether a deployment succeeded.", "ok", "runtime", allowed=("ok", "failed")),
    Field("retries", "How often the deployment was retried.", "0", "runtime", allowed=range(0, 11)),
) + (
    (Field(_EXTRA, "A field added in a later release.", "x", "runtime", allowed=("x",)),)
    if _EXTRA
    else ()
)

SPEC = AppSpec(
    name="acme",
    display_name="Acme",
    version="2.0.0",
    env_prefix="ACME",
    mode="opt-out" if os.environ.get("ACME_MODE") == "opt-out" else "opt-in",
    destination=Destination(
        "ga4",
        "G-TEST000000",
        api_secret="testsecret",
        region="eu" if os.environ.get("ACME_REGION") == "eu" else "",
    ),
    fields=FIELDS,
    common=("client_id", "name", "app_version", "engagement_time_msec"),
    events=(Event("command", "A command ran.", "command_run", ("command",)),)
    + (
        ()
        if os.environ.get("ACME_DROP_DEPLOYED")
        else (
            Event(
                "deployed",
                "A deployment finished.",
                "deploy_done",
                ("outcome", "retries"),
                commands=("deploy run",),
            ),
        )
    ),
    purpose="Learn which Acme commands matter.",
    access="The Acme maintainers.",
    controller="The Acme team at Acme Ltd",
    contact="privacy@acme.example",
    legal_basis="Consent (GDPR Art. 6(1)(a)): Acme asks before anything is sent.",
    retention="14 months, the analytics property's setting",
    recipients="Google (Google Analytics), as processor for Acme Ltd",
    notice_date=os.environ.get("ACME_NOTICE_DATE", "2026-12-01"),
    homepage="https://acme.example",
)

app = typer.Typer(name="acme", no_args_is_help=True)
deploy = typer.Typer(no_args_is_help=True)
app.add_typer(deploy, name="deploy")


@app.command()
def build(
    paths: Annotated[list[str] | None, typer.Argument()] = None,
    token: Annotated[str, typer.Option()] = "",
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Build things."""
    typer.echo(f"built {len(paths or [])}")


@deploy.command("run")
def deploy_run(
    target: str,
    force: Annotated[bool, typer.Option()] = False,
    retries: Annotated[int, typer.Option()] = 0,
    outcome: Annotated[str, typer.Option()] = "ok",
) -> None:
    """Deploy to a target."""
    record_event(SPEC, "deployed", {"outcome": outcome, "retries": retries})
    typer.echo("deployed")


@app.command()
def tidy() -> None:
    """Records an event it does not list (the registry refuses it)."""
    record_event(SPEC, "deployed", {"outcome": "ok", "retries": 0})
    typer.echo("tidied")


install(app, SPEC)

if __name__ == "__main__":
    app(prog_name="acme")
