"""The privacy notice, generated from the registry, the destination and the decision rules.

Never hand-written: what the notice says is what the sender enforces. Markdown
for people and auditors, JSON for machines; both carry the same facts.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from typing import Any
from urllib.parse import urlsplit

from consent._core.envgrammar import DO_NOT_TRACK, FALSE_WORDS, TRUE_WORDS
from consent._core.names import RECEIPTS_NAME, SENDER_TIMEOUT
from consent._core.otlp import ENVELOPE as OTLP_ENVELOPE
from consent._core.otlp import value_type
from consent._core.spec import AppSpec, Field
from consent._notice.prompts import protocol_title
from consent._wire.http import GA4_ENVELOPE, HEADERS, user_agent

# How an OTLP attribute carries each kind of value (consent/_core/otlp.py, value_type).
_OTLP_TYPES = {"int": "intValue", "bool": "boolValue", "string": "stringValue"}


def _otlp_carried(f: Field) -> str:
    """Where an OTLP hit carries the field: the record's eventName, or a typed attribute."""
    if f.kind == "hit_type":
        return "the log record's eventName"
    return f"an attribute, as {_OTLP_TYPES[value_type(f.kind, f.allowed, f.value)]}"


def facts(spec: AppSpec) -> dict[str, Any]:
    """Everything the notice states, as plain data (the JSON form)."""
    dest = spec.destination
    host = urlsplit(dest.origin).hostname or dest.origin
    legacy = dest.protocol == "legacy"
    otlp = dest.protocol == "otlp"
    n = spec.name
    c = spec.commands
    # Who carries what, computed once: linear in fields and events (bench/growth.py).
    carried = {e.name: spec.event_fields(e) for e in spec.events}
    field_events: dict[str, list[str]] = {f.wire: [] for f in spec.fields}
    for e in spec.events:
        for w in carried[e.name]:
            field_events[w].append(e.name)
    purpose_fields = {p.name: spec.purpose_fields(p.name) for p in spec.all_purposes}
    field_purposes: dict[str, list[str]] = {f.wire: [] for f in spec.fields}
    for p in spec.all_purposes:
        for w in purpose_fields[p.name]:
            field_purposes[w].append(p.name)
    return {
        "app": spec.name,
        "display_name": spec.display_name,
        "notice_version": spec.notice_version,
        "notice_date": spec.notice_date,
        "homepage": spec.homepage,
        "mode": spec.mode,
        "controller": {"name": spec.controller, "contact": spec.contact},
        "purpose": spec.purpose,
        "legal_basis": spec.legal_basis,
        "recipients": spec.recipients,
        "processing_location": {
            "endpoint": dest.origin,
            "region": dest.region or ("own endpoint" if otlp else "global"),
            "where": dest.region_text,
        },
        "access": spec.access,
        "retention": spec.retention,
        "rights": rights(spec),
        "fields": [
            {
                "wire": f.wire,
                "description": f.description,
                "example": f.example,
                "obtained": spec.obtained(f),
                **(
                    {}
                    if f.allowed is None
                    else {"allowed": _allowed_json(f.allowed), "allowed_text": f.allowed_text()}
                ),
                **({"carried_as": _otlp_carried(f)} if otlp else {}),
                "events": field_events[f.wire],
                "purposes": field_purposes[f.wire],
            }
            for f in spec.fields
        ],
        "purposes": [
            {
                "name": p.name,
                "description": p.description,
                "events": [e.name for e in spec.purpose_events(p.name)],
                "fields": list(purpose_fields[p.name]),
            }
            for p in spec.all_purposes
        ],
        "choices": choices(spec),
        "envelope": [
            {"wire": k, "description": v}
            for k, v in ({} if legacy else OTLP_ENVELOPE if otlp else GA4_ENVELOPE).items()
        ],
        "events": [
            {
                "name": e.name,
                "description": e.description,
                "hit_type": e.hit_type,
                "fields": list(carried[e.name]),
                "commands": [f"{n} {cmd}" for cmd in e.commands] or "any",
                "purpose": spec.event_purpose(e),
            }
            for e in spec.events
        ],
        "destination": {
            "protocol": protocol_title(spec),
            "method": "POST",
            "url": dest.origin.rstrip("/")
            + dest.path
            + ("" if legacy or otlp else "?measurement_id=…&api_secret=…"),
            "host": host,
            "region": dest.region or ("own endpoint" if otlp else "global"),
            "body": "form-encoded (application/x-www-form-urlencoded); the query string is empty"
            if legacy
            else "JSON (application/json): one OpenTelemetry ExportLogsServiceRequest holding "
            "one log record"
            if otlp
            else "JSON (application/json)",
            "headers": list(HEADERS) + [k for k, _ in dest.headers],
            "user_agent": user_agent(spec),
            "timeout_seconds": SENDER_TIMEOUT,
        },
        "stored_locally": {
            "client_id": f"the OS keyring (service '{spec.keyring_service}', user 'client-id'); "
            f"where no keyring is usable, the file 'client-id' (mode 0600) in the user data directory",
            "log": "the file 'telemetry-log.jsonl' (mode 0600) in the user state directory: the "
            "time, event, fields and outcome of each hit handed to the sender, and in local mode "
            "the exact request of each hit kept local (at most 200 entries)",
            "config": f"the [telemetry] table of '{n}/config.toml' in the user config directory",
            "receipts": f"the file '{RECEIPTS_NAME}' (mode 0600) in the user state directory: one "
            "consent receipt per change of consent (what you chose, when, how, and which notice "
            "it covered), chained by SHA-256; it holds no id, never leaves the machine and is "
            "kept when the id is deleted",
        },
        "opt_out": {
            "flag": f"{n} COMMAND --disable-analytics",
            "env": [spec.disable_env, DO_NOT_TRACK],
            "env_disable_values": list(TRUE_WORDS),
            "env_allow_values": ["(unset)", "(empty)", *FALSE_WORDS],
            "env_other_values": "disable, with a warning in status",
            "command": f"{c} disable",
            "config_key": "[telemetry] enabled = false",
            "policy_file": f"'{n}/telemetry.toml' in the system config directories, "
            "with [telemetry] enabled = false",
            "policy_purposes": '[telemetry] disabled_purposes = ["PURPOSE", …] locks single '
            "purposes off",
            "policy_local": '[telemetry] mode = "local" keeps every hit on the machine',
            "policy_endpoint": '[telemetry] endpoint = "https://…" sends every hit to the '
            "organisation's own collector instead of the endpoint named here; status shows it",
            "project_file": f"'.{n}/telemetry.toml' in a project directory, with [telemetry] "
            "enabled = false, for every run inside that directory",
        },
        "inspect": {
            "show_payload": f"{c} show-payload [COMMAND…]",
            "debug_env": spec.debug_env,
            "log": f"{c} log",
            "status": f"{c} status",
            "id": f"{c} id",
            "receipts": f"{c} receipts [--json] [--verify]",
        },
    }


def choices(spec: AppSpec) -> list[dict[str, str]]:
    """What a person can choose, with the command for each: on, off, per purpose, local."""
    c = spec.commands
    out = [
        {
            "choice": "on",
            "command": f"{c} enable",
            "effect": "hits of every purpose are sent",
        },
        {
            "choice": "off",
            "command": f"{c} disable",
            "effect": "nothing is sent or kept; the pseudonymous id is deleted",
        },
    ]
    if spec.purposes:
        out.append(
            {
                "choice": "per purpose",
                "command": f"{c} enable PURPOSE… / {c} disable PURPOSE…",
                "effect": "only the hits of the purposes you enable are sent; purposes: "
                + ", ".join(spec.purpose_names),
            }
        )
    out.append(
        {
            "choice": "local",
            "command": f"{c} local",
            "effect": "every hit is built exactly as it would be sent and kept in the local log "
            f"(`{c} log`), never sent, now or later; no pseudonymous id is created. "
            "`enable` sends again, `disable` ends it",
        }
    )
    return out


def rights(spec: AppSpec) -> list[dict[str, str]]:
    """The person's rights (GDPR Art. 15-21, 7(3), 77) and how to use each one."""
    c = spec.commands
    quote = (
        f"`{c} id` prints the pseudonymous id to quote to the contact; the id is the "
        "only link between you and the hits, so note it before you disable"
    )
    return [
        {
            "right": "access",
            "how": f"Ask the contact for the data held under your id: {quote}. "
            f"`{c} log` shows every hit this machine handed over.",
        },
        {
            "right": "erasure",
            "how": "Ask the contact to erase the hits recorded under your id, quoting it as for "
            f"access. `{c} disable` deletes the id from this machine.",
        },
        {
            "right": "objection",
            "how": f"Object at any time: `{c} disable` stops all sending at once; "
            "tell the contact if you want them to stop using what was already sent.",
        },
        {
            "right": "withdrawal",
            "how": f"Withdraw at any time, as easily as it was given: `{c} disable` "
            "withdraws and deletes the id locally. Processing before the withdrawal stays lawful.",
        },
        {
            "right": "rectification and restriction",
            "how": f"Ask the contact, quoting your id (`{c} id`).",
        },
        {
            "right": "complaint",
            "how": "Complain to a data protection supervisory authority, in particular where "
            "you live or work.",
        },
    ]


def _allowed_json(allowed: tuple[str, ...] | range | AbstractSet[str]) -> Any:
    if isinstance(allowed, range):
        return {"min": allowed.start, "max": allowed[-1], "step": allowed.step}
    return list(allowed)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(spec: AppSpec) -> str:
    f = facts(spec)
    d = f["destination"]
    app, c = spec.display_name, spec.commands
    out = [
        f"# {app} telemetry notice",
        "",
        f"Notice version **{f['notice_version']}**, dated {spec.notice_date}. This notice is "
        f"generated from the same field registry that {app}'s sender enforces: a key that is not "
        "listed here cannot be sent.",
        *(["", f"Homepage: {spec.homepage}"] if spec.homepage else []),
        "",
        "## Who is responsible",
        "",
        f"- **Controller:** {spec.controller}",
        f"- **Contact** (for every right below): {spec.contact}",
        "",
        "## Why data is collected",
        "",
        spec.purpose,
        "",
        *_purposes_text(spec),
        "## Legal basis",
        "",
        spec.legal_basis,
        "",
        "## Whether anything is sent",
        "",
        *_mode_text(spec),
        "",
        "Your choices, each with the command that makes it:",
        "",
        *[
            f"- **{c['choice'].capitalize()}:** `{c['command']}`: {c['effect']}."
            for c in f["choices"]
        ],
        "",
        "## What is sent",
        "",
        "Every field that any hit can carry:",
        "",
        "| wire name | meaning | example | how the value is obtained | sent with |",
        "|---|---|---|---|---|",
    ]
    for fld in f["fields"]:
        stop = "" if fld["obtained"].endswith(".") else "."  # two sentences in one cell
        allowed = f"{stop} Allowed: {fld['allowed_text']}." if "allowed_text" in fld else ""
        if "carried_as" in fld:
            allowed += f"{'' if allowed else stop} Sent as {fld['carried_as']}."
        out.append(
            f"| `{fld['wire']}` | {_cell(fld['description'])} | `{_cell(fld['example'])}` | "
            f"{_cell(fld['obtained'] + allowed)} | {', '.join(fld['events'])} |"
        )
    if f["envelope"]:
        label = "OTLP" if spec.destination.protocol == "otlp" else "GA4"
        out += ["", f"The {label} request body wraps those fields in these keys:", ""]
        out += [f"- `{e['wire']}`: {e['description']}" for e in f["envelope"]]
    out += ["", "### Events, by purpose", ""]
    for p in f["purposes"]:
        if spec.purposes:
            out += [f"Purpose **{p['name']}**: {p['description']}", ""]
        for e in f["events"]:
            if e["purpose"] != p["name"]:
                continue
            fields = ", ".join(f"`{w}`" for w in e["fields"])
            by = (
                "Recorded by " + ", ".join(f"`{cmd}`" for cmd in e["commands"]) + " only."
                if isinstance(e["commands"], list)
                else ""
            )
            out.append(
                f"- **{e['name']}** (hit type `{e['hit_type']}`): {e['description']} "
                f"Fields: {fields}." + (f" {by}" if by else "")
            )
        out.append("")
    out.pop()
    out += [
        "",
        "Nothing else is sent: no arguments, option values, file paths, user or host names, "
        "environment variables or hardware identifiers.",
        "",
        "## When and where",
        "",
        f"- **Destination:** `{d['method']} {d['url']}` ({d['protocol']}), over "
        f"{'HTTPS' if d['url'].startswith('https:') else 'HTTP'}.",
        f"- **Endpoint and region:** {spec.destination.region_text}.",
        f"- **Body:** {d['body']}.",
        f"- **Headers:** exactly {', '.join(d['headers'])}; the User-Agent is `{d['user_agent']}`"
        + (
            "; the last "
            + (
                "one is a fixed value"
                if len(spec.destination.headers) == 1
                else "ones are fixed values"
            )
            + f" built into {app} (`{c} show-payload` prints {'it' if len(spec.destination.headers) == 1 else 'them'})."
            if spec.destination.headers
            else "."
        ),
        "- **When:** as a command starts, a separate background process sends one request; the "
        f"command never waits for it. The background process gives up after {d['timeout_seconds']:g} "
        "seconds.",
        "- **Offline or failing:** the hit is dropped silently: never retried, never queued.",
        f"- **Besides the body:** like any connection, the request reveals your IP address to "
        f"{d['host']}, which may derive a coarse location from it.",
        *(
            [
                "- **Note:** Google stopped processing Universal Analytics hits on 1 July 2023; "
                "hits to this destination are received but no longer appear in reports."
            ]
            if spec.destination.protocol == "legacy" and "google-analytics.com" in d["host"]
            else []
        ),
        "",
        "## Recipients and where data is processed",
        "",
        f"- **Recipients:** {spec.recipients}",
        f"- **Who has access:** {spec.access}",
        f"- **Endpoint:** {spec.destination.origin} — {spec.destination.region_text}.",
        "",
        "## Retention",
        "",
        spec.retention,
        "",
        "## What is stored on this machine",
        "",
        f"- **Pseudonymous id:** {f['stored_locally']['client_id']}. It is created only when the "
        f"first hit is sent. It is not anonymous: it is the same on every hit from this machine, "
        f"and the request also reveals your IP address. `{c} id` prints it; `{c} disable` prints "
        f"it once and deletes it; `{c} reset` replaces it. The log never holds it.",
        f"- **Log:** {f['stored_locally']['log']}. Delete the file at any time.",
        f"- **Your choice:** {f['stored_locally']['config']}. `{c} status` prints every "
        "path in force on your machine.",
        f"- **Consent receipts:** {f['stored_locally']['receipts']}. `{c} receipts` "
        "lists them; `--verify` checks the chain.",
        "",
        "## Your rights",
        "",
        "You have the right of access, erasure, objection and withdrawal of consent at any time, "
        "and to rectification, restriction and complaint. Use each through the contact named "
        "under “Who is responsible”, or on this machine:",
        "",
        *[f"- **{r['right'].capitalize()}:** {r['how']}" for r in f["rights"]],
        "",
        "## How to opt out",
        "",
        "Any one of these is enough; none of them sends anything (not even an opt-out event).",
        "",
        f"- For one run: `{f['opt_out']['flag']}`.",
        f"- In your shell, CI or container: `{spec.disable_env}=1` or `{DO_NOT_TRACK}=1`.",
        f"- For good: `{f['opt_out']['command']}` (also deletes the pseudonymous id), or "
        f"`{f['opt_out']['config_key']}` in the config file.",
        f"- For every user of a machine (administrators): {f['opt_out']['policy_file']}; "
        f"`{f['opt_out']['policy_purposes']}`; `{f['opt_out']['policy_local']}`; "
        f"`{f['opt_out']['policy_endpoint']}`.",
        f"- For a project (its owners): {f['opt_out']['project_file']}.",
        f"- To keep it on this machine, never sent: `{c} local`.",
        "",
        "The two environment variables read values this way (trimmed, any case):",
        "",
        "| value | effect |",
        "|---|---|",
        f"| unset, empty, {', '.join(f'`{w}`' for w in FALSE_WORDS)} | no effect |",
        f"| {', '.join(f'`{w}`' for w in TRUE_WORDS)} | telemetry off |",
        "| anything else | telemetry off, and `status` warns that the value was not understood |",
        "",
        "## How to see exactly what is sent",
        "",
        f"- `{f['inspect']['show_payload']}` prints every request a command line may send — "
        "method, full URL, headers and body — byte for byte, without sending anything.",
        f"- `{spec.debug_env}=1` prints each request to stderr instead of sending it, and every "
        "event the registry refused.",
        f"- `{f['inspect']['log']}` lists every hit handed to the sender, with its outcome, and "
        "in local mode every hit kept local, with its exact payload.",
        f"- `{f['inspect']['status']}` says whether telemetry is on, and which setting decided.",
        "",
        "## When this notice changes",
        "",
        "The notice version is a hash of the fields, events, destination, purposes, responsible "
        "party, legal basis, recipients, retention and date above. If any of them changes, the "
        "version changes and earlier consent no longer counts: "
        + (
            "the new notice is shown before anything new is sent."
            if spec.mode == "opt-out"
            else "you are asked again."
        )
        + " You are shown which fields and events were added or removed since the version you "
        "last saw. A recorded opt-out stays an opt-out.",
        "",
    ]
    return "\n".join(out)


def _purposes_text(spec: AppSpec) -> list[str]:
    """The purposes, each with its events and fields: consent is given or refused per purpose."""
    if not spec.purposes:
        return []
    out = [
        "Each purpose is a separate choice: you may allow one and refuse another "
        f"(`{spec.commands} enable PURPOSE`, `{spec.commands} disable PURPOSE`).",
        "",
        "| purpose | why | events | fields |",
        "|---|---|---|---|",
    ]
    for p in spec.purposes:
        events = ", ".join(e.name for e in spec.purpose_events(p.name))
        fields = ", ".join(f"`{w}`" for w in spec.purpose_fields(p.name))
        out.append(f"| `{p.name}` | {_cell(p.description)} | {events} | {fields} |")
    return [*out, ""]


def _mode_text(spec: AppSpec) -> list[str]:
    app = spec.display_name
    if spec.mode == "opt-in":
        return [
            f"Nothing is sent unless you agree. {app} asks once, in an interactive terminal; the "
            "default answer is no, and runs without a terminal (scripts, CI) never ask and never send."
        ]
    return [
        f"{app} is opt-out. The first time a person runs a {app} command in an interactive "
        "terminal, this notice is summarised on the screen and nothing is sent in that run; hits "
        "are sent from the next run on unless you opt out. Runs without a terminal or in CI never "
        "show the notice and so never send, unless someone enabled telemetry explicitly.",
    ]
