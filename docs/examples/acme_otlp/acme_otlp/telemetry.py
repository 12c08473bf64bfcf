"""What Acme may send, declared once: the privacy notice, `show-payload` and the sender use this.

The destination is Acme's own OpenTelemetry Collector: each hit is one OTLP/HTTP JSON log
record (docs/otlp.md shows the collector's side). No Google, no SDK.
"""

from consent import AppSpec, Destination, Event, Field, Purpose

from acme_otlp import __version__

SPEC = AppSpec(
    name="acme-otlp",  # sent as the resource's service.name; config in ~/.config/acme-otlp/
    display_name="Acme",
    version=__version__,  # sent as service.version
    env_prefix="ACME_OTLP",  # ACME_OTLP_DISABLE_ANALYTICS, …_TELEMETRY_DEBUG, …_TELEMETRY_ENDPOINT
    mode="opt-in",  # ask once, default No
    destination=Destination(
        protocol="otlp",
        endpoint="https://otel.acme.example/v1/logs",  # Acme's collector: its OTLP/HTTP receiver
        # Static headers go with every hit; show-payload prints them. Every copy of the CLI
        # carries this one, so it routes the hits rather than guarding anything.
        headers={"X-Acme-Source": "acme-otlp-cli"},
    ),
    # Attribute names in Acme's own namespace, as OpenTelemetry's naming rules recommend.
    fields=(
        Field(
            "acme.installation.id", "Pseudonymous id of this installation.", "6f1c…", "client_id"
        ),
        # Carried as each log record's eventName, not as an attribute.
        Field("event.name", "Which event happened.", "acme.command_run", "hit_type"),
        Field(
            "acme.command",
            "The command that ran, without its arguments.",
            "acme-otlp hello",
            "command",
        ),
        Field(
            "acme.outcome",
            "Whether a deployment succeeded.",
            "ok",
            "runtime",
            allowed=("ok", "failed"),
        ),
        Field(
            "acme.dry_run",
            "Whether it was a dry run.",
            "false",
            "runtime",
            allowed=("true", "false"),
        ),
        Field(
            "acme.retries",
            "How often the deployment was retried.",
            "0",
            "runtime",
            allowed=range(0, 11),
        ),
    ),
    common=("acme.installation.id", "event.name"),
    events=(
        Event(
            "command",
            "An Acme command ran.",
            "acme.command_run",
            ("acme.command",),
            purpose="usage",
        ),
        # Only `acme-otlp deploy` may record it; `show-payload deploy` shows it beside the first.
        Event(
            "deployed",
            "A deployment finished.",
            "acme.deploy_finished",
            ("acme.outcome", "acme.dry_run", "acme.retries"),
            commands=("deploy",),
            purpose="deploys",
        ),
    ),
    purposes=(
        Purpose("usage", "Learn which Acme commands are used."),
        Purpose("deploys", "See how deployments go, to fix what fails."),
    ),
    purpose="To learn which Acme commands are used and how deployments go.",
    access="The Acme maintainers, in Acme's own log store.",
    controller="The Acme CLI maintainers at Acme Ltd",
    contact="privacy@acme.example",
    legal_basis="Consent (GDPR Art. 6(1)(a)): Acme asks once and sends nothing unless you say yes.",
    retention="90 days in Acme's log store, then deleted",
    recipients="Acme Ltd itself: its own OpenTelemetry Collector and log store in the EU; "
    "no third party",
    notice_date="2026-12-01",
    homepage="https://acme.example/cli",
)
