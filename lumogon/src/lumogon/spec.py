"""lumogon's AppSpec: the original tool's fields and events, and where its hits go."""

from __future__ import annotations

from consent import AppSpec, Destination, Event, Field, Purpose
from lumogon.version import VERSION

__all__ = ["SPEC", "VERSION"]

SPEC = AppSpec(
    name="lumogon",
    display_name="Lumogon",
    version=VERSION,
    env_prefix="LUMOGON",
    mode="opt-out",
    destination=Destination(protocol="legacy", tracking_id="UA-54263865-7"),
    fields=(
        Field("v", "Measurement Protocol version.", "1", "constant", "1"),
        Field(
            "tid",
            "The Lumogon analytics property that receives the hit.",
            "UA-54263865-7",
            "constant",
            "UA-54263865-7",
        ),
        Field(
            "cid",
            "Pseudonymous client id: a random id that tells repeat use apart from new installs.",
            "35009a79-1a05-49d7-b876-2b884d0f825b",
            "client_id",
        ),
        Field("an", "Application name.", "Lumogon", "constant", "Lumogon"),
        Field("av", "Application version.", "0.1.0", "app_version"),
        Field(
            "t",
            "Hit type: 'screenview' for a command run, 'event' for a report upload.",
            "screenview",
            "hit_type",
        ),
        Field(
            "cd",
            "Screen name: the command that ran, without any of its arguments.",
            "lumogon version",
            "command",
        ),
        Field("ec", "Event category of the upload event.", "UX", "constant", "UX"),
        Field("ea", "Event action of the upload event.", "upload", "constant", "upload"),
        Field(
            "el",
            "Event label of the upload event: whether the Lumogon report service accepted the "
            "report ('ok') or the upload failed ('failed').",
            "ok",
            "runtime",
            allowed=("ok", "failed"),
        ),
        Field(
            "ev",
            "Event value of the upload event: how many containers the report held. A count only: "
            "no container name, id, image, label or path is sent.",
            "3",
            "runtime",
            allowed=range(0, 10_001),
        ),
    ),
    common=("v", "tid", "cid", "an", "av", "t"),
    events=(
        Event("screenview", "A Lumogon command was run.", "screenview", ("cd",), purpose="usage"),
        Event(
            "upload",
            "An upload of a Lumogon report to the report service was attempted, with its "
            "outcome and the number of containers in the report.",
            "event",
            ("ec", "ea", "el", "ev"),
            commands=("report",),
            purpose="service-health",
        ),
    ),
    purposes=(
        Purpose("usage", "To learn which Lumogon commands are used and how often."),
        Purpose(
            "service-health",
            "To watch the health of the Lumogon report service: how often report uploads are "
            "attempted, how often they fail, and how many containers the reports hold.",
        ),
    ),
    purpose="To learn which Lumogon commands are used and how often, so that development "
    "effort goes where it helps people most.",
    access="The Lumogon maintainers, through the Google Analytics property UA-54263865-7 "
    "(Google processes the hits on their behalf).",
    # From the original analytics page (ANALYTICS.md); where it is silent, the notice says so.
    controller="The Lumogon team at Puppet, Inc.",
    contact="Not stated by the original analytics page, which names no privacy contact. The "
    "only address the project gives is its repository, "
    "https://github.com/puppetlabs-toy-chest/lumogon (public issues).",
    legal_basis="Not stated by the original analytics page. Lumogon is opt-out (it sends "
    "after showing this notice unless you opt out), so the basis cannot be consent "
    "(GDPR Art. 6(1)(a)); the original does not claim another one, such as legitimate "
    "interests (Art. 6(1)(f)).",
    retention="Not stated by the original analytics page. The Google Analytics property's "
    "data-retention setting decides how long user- and event-level data are kept "
    "(2 or 14 months on a standard property).",
    recipients="Google (Google Analytics), which receives the hits over HTTPS at "
    "www.google-analytics.com and processes them on the Lumogon team's behalf. The original "
    "analytics page does not say where Google processes them; this global endpoint is not "
    "limited to the EU.",
    notice_date="2026-12-01",
    homepage="https://github.com/puppetlabs-toy-chest/lumogon",
)
