"""What Acme Draw may send, declared once: the privacy notice, the settings page and the sender
use this."""

from consent import AppSpec, Destination, Event, Field, Purpose

from acme_settings import __version__

SPEC = AppSpec(
    name="acme-draw",  # config in ~/.config/acme-draw/, keyring service "acme-draw-telemetry"
    display_name="Acme Draw",
    version=__version__,
    env_prefix="ACME_DRAW",  # ACME_DRAW_DISABLE_ANALYTICS, ACME_DRAW_TELEMETRY_ENDPOINT, …
    mode="opt-in",  # nothing is sent until the person ticks a box
    destination=Destination(
        protocol="ga4",
        tracking_id="G-ACMEDRAW00",
        api_secret="acme-draw-example-secret",  # noqa: S106 - identifies the stream, guards nothing
        region="eu",
    ),
    fields=(
        Field("client_id", "Pseudonymous id of this installation.", "6f1c…", "client_id"),
        Field("name", "Which event happened.", "export_done", "hit_type"),
        Field("app_version", "The version of Acme Draw.", "1.0.0", "app_version"),
        Field(
            "engagement_time_msec",
            "Required by GA4 for an event to appear in reports.",
            "1",
            "constant",
            "1",
        ),
        Field(
            "format",
            "The format a drawing was exported to.",
            "png",
            "runtime",
            allowed=("png", "svg"),
        ),
        Field(
            "reason",
            "Why an export failed.",
            "disk_full",
            "runtime",
            allowed=("disk_full", "permission"),
        ),
    ),
    common=("client_id", "name", "app_version", "engagement_time_msec"),
    # Each purpose is a box on the settings page: the person ticks each one on its own.
    purposes=(
        Purpose("usage", "Which features are used, so that work goes where it helps most."),
        Purpose("errors", "Which exports fail and why, so that they get fixed."),
    ),
    events=(
        Event("export", "A drawing was exported.", "export_done", ("format",), purpose="usage"),
        Event("export_failed", "An export failed.", "export_failed", ("reason",), purpose="errors"),
    ),
    purpose="To learn which features of Acme Draw are used and which exports fail.",
    access="The Acme Draw maintainers, through their Google Analytics property.",
    controller="The Acme Draw maintainers at Acme Ltd",
    contact="privacy@acme.example",
    legal_basis="Consent (GDPR Art. 6(1)(a)): nothing is sent for a purpose until its box is ticked.",
    retention="14 months, the Google Analytics property's data-retention setting",
    recipients="Google (Google Analytics 4), as processor for Acme Ltd, at its EU endpoint",
    notice_date="2026-12-01",
    homepage="https://acme.example/draw",
)
