"""What Acme may send, declared once: the privacy notice, `show-payload` and the sender use this."""

from consent import AppSpec, Destination, Event, Field

from acme_cli import __version__

SPEC = AppSpec(
    name="acme",  # config in ~/.config/acme/, keyring service "acme-telemetry"
    display_name="Acme",
    version=__version__,
    env_prefix="ACME",  # ACME_DISABLE_ANALYTICS, ACME_TELEMETRY_DEBUG, ACME_TELEMETRY_ENDPOINT
    mode="opt-in",  # ask once, default No
    destination=Destination(
        protocol="ga4",
        tracking_id="G-ACME000000",  # your GA4 measurement id
        # A Measurement Protocol API secret of that stream. Every copy of the CLI carries it, so it
        # identifies the stream rather than guarding anything.
        api_secret="acme-example-secret",  # noqa: S106
        region="eu",  # collected and processed in the EU: https://region1.google-analytics.com
    ),
    fields=(
        Field("client_id", "Pseudonymous id of this installation.", "6f1c…", "client_id"),
        Field("name", "Which event happened.", "command_run", "hit_type"),
        Field("command", "The command that ran, without its arguments.", "acme hello", "command"),
        Field("app_version", "The version of Acme.", "1.0.0", "app_version"),
        # An int constant (or a range runtime field) goes out as a JSON number: 1, not "1".
        Field(
            "engagement_time_msec",
            "Required by GA4 for an event to appear in reports.",
            "1",
            "constant",
            1,
        ),
        # A runtime field declares what it may carry: nothing else can be sent in it.
        Field(
            "outcome",
            "Whether a deployment succeeded.",
            "ok",
            "runtime",
            allowed=("ok", "failed"),
        ),
        Field(
            "dry_run", "Whether it was a dry run.", "false", "runtime", allowed=("true", "false")
        ),
    ),
    common=("client_id", "name", "app_version", "engagement_time_msec"),
    events=(
        Event("command", "An Acme command ran.", "command_run", ("command",)),
        # Only `acme deploy` may record it; `show-payload deploy` shows it beside the screenview.
        Event(
            "deployed",
            "A deployment finished.",
            "deploy_finished",
            ("outcome", "dry_run"),
            commands=("deploy",),
        ),
    ),
    purpose="To learn which Acme commands are used, so that work goes where it helps most.",
    access="The Acme maintainers, through their Google Analytics property.",
    # Who is responsible, on what terms, and how to reach them: the notice shows each one.
    controller="The Acme CLI maintainers at Acme Ltd",
    contact="privacy@acme.example",
    legal_basis="Consent (GDPR Art. 6(1)(a)): Acme asks once and sends nothing unless you say yes.",
    retention="14 months, the Google Analytics property's data-retention setting",
    recipients="Google (Google Analytics 4), as processor for Acme Ltd, at its EU endpoint",
    notice_date="2026-12-01",
    homepage="https://acme.example/cli",
)
