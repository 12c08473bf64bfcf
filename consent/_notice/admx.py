"""The Group Policy administrative template of an app (ADMX, with its en-US ADML), generated from
the same keys the policy readers take (consent/_core/names.py) and the app's spec.

An organisation copies the two files into its PolicyDefinitions store; Group Policy then writes
the values that consent/_store/sources.py (`read_registry`) reads under
`HKLM\\SOFTWARE\\Policies\\<vendor>\\<app>` (AppSpec.policy_key). Four machine policies, one per
policy key:

| policy | registry value | written as |
|---|---|---|
| Turn off telemetry | `enabled` | REG_DWORD 0 when enabled (a lock), 1 when disabled (no vote) |
| Telemetry mode | `mode` | REG_SZ `off`, `local` or `send` |
| Purposes turned off | `disabled_purposes` | REG_SZ, purpose names separated by spaces |
| Telemetry endpoint | `endpoint` | REG_SZ, an https URL |

The structure follows the ADMX schema (PolicyDefinitionFiles.xsd; docs/admin.md, "Group
Policy", says how it was validated); `scripts/render_admx.py` writes lumogon's copy.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from consent._core.names import (
    MODE_LOCAL,
    MODE_OFF,
    MODE_SEND,
    POLICY_ENDPOINT_KEY,
    POLICY_KEYS,
    POLICY_MODE_KEY,
    POLICY_PURPOSES_KEY,
)
from consent._core.spec import AppSpec

NAMESPACE = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"
REVISION = "1.0"
SCHEMA_VERSION = "1.0"
# An ADMX text element holds at most this many characters unless it says otherwise.
ENDPOINT_MAX = 2048
_ENABLED = POLICY_KEYS[0]


def ident(text: str) -> str:
    """`text` as an ADMX item name (letters, digits and underscores)."""
    return "".join(c if c.isalnum() else "_" for c in text)


def _vendor(spec: AppSpec) -> str:
    return spec.policy_key.split("\\")[2]


def file_stem(spec: AppSpec) -> str:
    """The template's file name without extension: `lumogon` for lumogon.admx and .adml."""
    return spec.name


def admx(spec: AppSpec) -> str:
    """The policy definitions (language-neutral) file."""
    ET.register_namespace("", NAMESPACE)
    q = _qualified
    root = ET.Element(q("policyDefinitions"), revision=REVISION, schemaVersion=SCHEMA_VERSION)
    spaces = ET.SubElement(root, q("policyNamespaces"))
    prefix = ident(spec.name)
    namespace = f"{ident(_vendor(spec))}.Policies.{ident(spec.name)}"
    ET.SubElement(spaces, q("target"), prefix=prefix, namespace=namespace)
    ET.SubElement(root, q("resources"), minRequiredRevision=REVISION)
    supported = ET.SubElement(ET.SubElement(root, q("supportedOn")), q("definitions"))
    ET.SubElement(supported, q("definition"), name="SUPPORTED_GroupPolicy",
                  displayName="$(string.SUPPORTED_GroupPolicy)")  # fmt: skip
    categories = ET.SubElement(root, q("categories"))
    category = ident(spec.name)
    ET.SubElement(categories, q("category"), name=category, displayName="$(string.Category)")
    policies = ET.SubElement(root, q("policies"))
    key = spec.policy_key

    def policy(name: str, **attributes: str) -> ET.Element:
        attrib = {
            "name": name,
            "class": "Machine",
            "displayName": f"$(string.{name})",
            "explainText": f"$(string.{name}_Help)",
            "key": key,
            **attributes,
        }
        p = ET.SubElement(policies, q("policy"), attrib)
        ET.SubElement(p, q("parentCategory"), ref=category)
        ET.SubElement(p, q("supportedOn"), ref="SUPPORTED_GroupPolicy")
        return p

    off = policy("TelemetryOff", valueName=_ENABLED)
    ET.SubElement(ET.SubElement(off, q("enabledValue")), q("decimal"), value="0")
    ET.SubElement(ET.SubElement(off, q("disabledValue")), q("decimal"), value="1")

    mode = policy("TelemetryMode", presentation="$(presentation.TelemetryMode)")
    choice = ET.SubElement(ET.SubElement(mode, q("elements")), q("enum"), id="TelemetryMode_Mode",
                           valueName=POLICY_MODE_KEY, required="true")  # fmt: skip
    for value in (MODE_OFF, MODE_LOCAL, MODE_SEND):
        item = ET.SubElement(choice, q("item"), displayName=f"$(string.Mode_{value})")
        ET.SubElement(ET.SubElement(item, q("value")), q("string")).text = value

    purposes = policy("DisabledPurposes", presentation="$(presentation.DisabledPurposes)")
    ET.SubElement(ET.SubElement(purposes, q("elements")), q("text"), id="DisabledPurposes_Names",
                  valueName=POLICY_PURPOSES_KEY, required="true")  # fmt: skip

    endpoint = policy("Endpoint", presentation="$(presentation.Endpoint)")
    ET.SubElement(ET.SubElement(endpoint, q("elements")), q("text"), id="Endpoint_Url",
                  valueName=POLICY_ENDPOINT_KEY, required="true",
                  maxLength=str(ENDPOINT_MAX))  # fmt: skip
    return _text(root)


def adml(spec: AppSpec) -> str:
    """The en-US language resources of `admx(spec)`: every string and presentation it names."""
    ET.register_namespace("", NAMESPACE)
    q = _qualified
    app = spec.display_name
    root = ET.Element(
        q("policyDefinitionResources"), revision=REVISION, schemaVersion=SCHEMA_VERSION
    )
    ET.SubElement(root, q("displayName")).text = f"{app} telemetry"
    ET.SubElement(
        root, q("description")
    ).text = f"Telemetry policy for {app}: read from {spec.policy_key} under HKEY_LOCAL_MACHINE."
    resources = ET.SubElement(root, q("resources"))
    table = ET.SubElement(resources, q("stringTable"))
    for name, text in _strings(spec).items():
        ET.SubElement(table, q("string"), id=name).text = text
    shown = ET.SubElement(resources, q("presentationTable"))
    mode = ET.SubElement(shown, q("presentation"), id="TelemetryMode")
    ET.SubElement(mode, q("dropdownList"), refId="TelemetryMode_Mode", noSort="true",
                  defaultItem="1").text = "Mode:"  # fmt: skip
    purposes = ET.SubElement(shown, q("presentation"), id="DisabledPurposes")
    box = ET.SubElement(purposes, q("textBox"), refId="DisabledPurposes_Names")
    ET.SubElement(box, q("label")).text = "Purposes, separated by spaces:"
    endpoint = ET.SubElement(shown, q("presentation"), id="Endpoint")
    box = ET.SubElement(endpoint, q("textBox"), refId="Endpoint_Url")
    ET.SubElement(box, q("label")).text = "Collector URL (https://):"
    return _text(root)


def _strings(spec: AppSpec) -> dict[str, str]:
    app, c = spec.display_name, spec.commands
    purposes = "\n".join(f"{p.name}: {p.description}" for p in spec.all_purposes)
    return {
        "Category": app,
        "SUPPORTED_GroupPolicy": f"{app} with Group Policy support, on Windows",
        "TelemetryOff": f"Turn off {app} telemetry",
        "TelemetryOff_Help": (
            f"Enabled: telemetry is locked off for every user of this machine; `{c} enable` "
            "refuses and names this policy.\n\n"
            "Disabled or Not configured: each person's own choice applies. A policy never "
            f"switches telemetry on.\n\n`{c} status` and `{c} policy` show the policy in force."
        ),
        "TelemetryMode": f"{app} telemetry mode",
        "TelemetryMode_Help": (
            "off: the same lock as Turn off telemetry.\n\n"
            "local: every hit a user allowed is built and kept in their local log "
            f"(`{c} log`), never sent: no sender, no connection, no pseudonymous id.\n\n"
            "send: each person's consent decides, as usual.\n\n"
            "A value that cannot be read exactly locks telemetry off (fail closed)."
        ),
        "Mode_off": "off: locked off",
        "Mode_local": "local: kept on this machine, never sent",
        "Mode_send": "send: each person's consent decides",
        "DisabledPurposes": f"{app} telemetry purposes turned off",
        "DisabledPurposes_Help": (
            "The purposes named here are locked off whatever a user chose; the others follow "
            f"each person's consent. Names, separated by spaces:\n\n{purposes}\n\n"
            "A name the app does not declare locks every purpose off (fail closed)."
        ),
        "Endpoint": f"{app} telemetry endpoint",
        "Endpoint_Help": (
            "Every hit that is sent goes to this URL instead of the app's destination: https:// "
            "only (plain http:// only to a loopback address). It enables nothing: each person's "
            "consent still decides whether anything is sent. A URL that is not allowed sends "
            "nothing at all (fail closed)."
        ),
    }


def _qualified(tag: str) -> str:
    return f"{{{NAMESPACE}}}{tag}"


def _text(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}\n'
