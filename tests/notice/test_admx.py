"""Issue 27, point 3: the Group Policy template (docs/group-policy/), generated from the policy
keys (consent/_notice/admx.py).

- The committed files are what the generator writes now.
- Both follow the structure the ADMX schema documents (PolicyDefinitionFiles.xsd,
  PolicyDefinitions.xsd, BaseTypes.xsd): each element's children in the schema's order, its
  required attributes, the patterns of names, string and presentation references, and every
  reference resolved. The schema files themselves are Microsoft's and are not in this
  repository: `python scripts/render_admx.py --validate DIR` validates against them with lxml
  (docs/admin.md, "Group Policy", records the run).
- Applied as Group Policy applies it (each policy enabled, with each choice, or disabled: the
  registry values its definition names), the template writes what the reader reads as meant.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from consent._core.names import MODE_LOCAL, MODE_OFF, MODE_SEND, POLICY_KEYS
from consent._notice.admx import NAMESPACE, adml, admx
from consent._store.paths import Locations
from consent._store.sources import read_policies
from lumogon import SPEC
from tests.helpers import ROOT
from tests.store import fakewinreg as wr
from tests.store.fakewinreg import FakeRegistry

DOCS = ROOT / "docs" / "group-policy"
N = f"{{{NAMESPACE}}}"


def test_the_committed_template_is_fresh() -> None:
    hint = "regenerate it with: python scripts/render_admx.py"
    assert (DOCS / "lumogon.admx").read_text("utf-8") == admx(SPEC), hint
    assert (DOCS / "en-US" / "lumogon.adml").read_text("utf-8") == adml(SPEC), hint


# --- the documented structure ---------------------------------------------------------------

# Each element's content model, from the schema: its children's names in order, as a regular
# expression over "name " words; then its required attributes.
VALUE = r"(delete |decimal |string )"
CHILDREN = {
    "policyDefinitions": r"policyNamespaces (supersededAdm )*(annotation )*resources "
    r"(supportedOn )?(categories )?(policies )?",
    "policyNamespaces": r"target (using )*",
    "supportedOn": r"(products )?(definitions )?",
    "definitions": r"(definition )+",
    "definition": r"(or |and )?",
    "categories": r"(category )+",
    "category": r"(annotation )*(parentCategory )?(seeAlso )*(keywords )?",
    "policies": r"(policy )+",
    "policy": r"(annotation )*(parentCategory )?(seeAlso )*(keywords )?supportedOn "
    r"(enabledValue )?(disabledValue )?(enabledList )?(disabledList )?(elements )?",
    "enabledValue": VALUE,
    "disabledValue": VALUE,
    "value": VALUE,
    "elements": r"((boolean |decimal |text |enum |list |multiText ))+",
    "enum": r"(item )*",
    "item": r"value (valueList )?",
    "policyDefinitionResources": r"displayName description (annotation )*resources ",
    "resources": r"(stringTable )?(presentationTable )?",
    "stringTable": r"(string )+",
    "presentationTable": r"(presentation )+",
    "presentation": r"((text |decimalTextBox |textBox |checkBox |comboBox |dropdownList "
    r"|listBox |multiTextBox ))*",
    "textBox": r"label (defaultValue )?",
}
# The context decides which "resources", "supportedOn" and "string" is meant.
LEAVES = {"target", "parentCategory", "decimal", "string", "label", "dropdownList",
          "displayName", "description", "defaultValue", "text"}  # fmt: skip
REQUIRED = {
    "policyDefinitions": ("revision", "schemaVersion"),
    "policyDefinitionResources": ("revision", "schemaVersion"),
    "target": ("prefix", "namespace"),
    "definition": ("name", "displayName"),
    "category": ("name", "displayName"),
    "policy": ("name", "class", "displayName", "key"),
    "parentCategory": ("ref",),
    "decimal": ("value",),
    "enum": ("id",),
    "text": ("id",),
    "item": ("displayName",),
    "string": ("id",),
    "presentation": ("id",),
    "textBox": ("refId",),
    "dropdownList": ("refId",),
}
NAME = re.compile(r"[\w]+")  # itemName / resourceID: letters, digits, underscores
STRING_REF = re.compile(r"\$\(string\.(\w+)\)")
PRESENTATION_REF = re.compile(r"\$\(presentation\.(\w+)\)")
VERSION = re.compile(r"[0-9]{1,4}\.[0-9]{1,5}")


def problems(root: ET.Element) -> list[str]:
    """Where `root` departs from the schema's structure (empty: it follows it)."""
    out = []

    def local(e: ET.Element) -> str:
        if not e.tag.startswith(N):
            out.append(f"{e.tag} is not in the PolicyDefinitions namespace")
        return e.tag[len(N) :]

    def walk(e: ET.Element, parent: str) -> None:
        name = local(e)
        kids = [local(k) for k in e]
        model = CHILDREN.get(name)
        if name == "supportedOn" and parent == "policy":
            model = ""  # a reference (SupportedOnReference) there, not the table
        if name == "resources" and parent == "policyDefinitions":
            model = ""  # LocalizationResourceReference
        if name == "string" and parent in ("value", "enabledValue", "disabledValue"):
            if len(e.text or "") > 255:
                out.append("a registry string value is longer than 255 characters")
            model = ""
        if name == "text" and parent == "presentation":
            model = ""
        if model is None and name not in LEAVES:
            out.append(f"{name} (in {parent}) is not an element the schema knows here")
        elif model is not None and not re.fullmatch(model, "".join(f"{k} " for k in kids)):
            out.append(f"{name}: children {kids} do not follow {model!r}")
        for attribute in REQUIRED.get(name, ()):
            if name == "string" and parent != "stringTable":
                break
            if name == "text" and parent != "elements":
                break
            if attribute not in e.attrib:
                out.append(f"{name} lacks its required attribute {attribute!r}")
        for attribute, value in e.attrib.items():
            ref = STRING_REF.fullmatch(value)
            if attribute in ("displayName", "explainText") and not ref:
                out.append(f"{name}.{attribute} {value!r} is not a string reference")
            if attribute == "presentation" and not PRESENTATION_REF.fullmatch(value):
                out.append(f"{name}.presentation {value!r} is not a presentation reference")
            versions = ("revision", "schemaVersion", "minRequiredRevision")
            if attribute in versions and not VERSION.fullmatch(value):
                out.append(f"{name}.{attribute} {value!r} is not a version")
            if attribute == "class" and value not in ("User", "Machine", "Both"):
                out.append(f"{name}.class {value!r} is not User, Machine or Both")
            named = attribute == "name" or (
                attribute == "id" and parent in ("stringTable", "presentationTable")
            )
            if named and not NAME.fullmatch(value):
                out.append(f"{name}.{attribute} {value!r} is not an item name")
            numbers = ("value", "maxLength", "defaultItem", "maxValue", "minValue")
            if attribute in numbers and not (value.isdigit() and int(value) < 2**32):
                out.append(f"{name}.{attribute} {value!r} is not an unsigned int")
            if attribute in ("required", "noSort", "expandable", "soft") and value not in (
                "true", "false"):  # fmt: skip
                out.append(f"{name}.{attribute} {value!r} is not a boolean")
        for k in e:
            walk(k, name)

    walk(root, "")
    return out


def references(definitions: ET.Element, resources: ET.Element) -> list[str]:
    """Every string, presentation, category and supportedOn the template names is defined."""
    out = []
    strings = {s.get("id") for s in resources.iter(f"{N}string") if s.get("id")}
    shown = {p.get("id"): p for p in resources.iter(f"{N}presentation")}
    text = ET.tostring(definitions, encoding="unicode")
    out += [f"string {s} is not in the ADML" for s in STRING_REF.findall(text) if s not in strings]
    categories = {c.get("name") for c in definitions.iter(f"{N}category")}
    supported = {d.get("name") for d in definitions.iter(f"{N}definition")}
    for policy in definitions.iter(f"{N}policy"):
        ref = policy.find(f"{N}parentCategory")
        if ref is None or ref.get("ref") not in categories:
            out.append(f"{policy.get('name')}: its category is not defined")
        on = policy.find(f"{N}supportedOn")
        if on is None or on.get("ref") not in supported:
            out.append(f"{policy.get('name')}: its supportedOn is not defined")
        ids = {e.get("id") for e in policy.iterfind(f"{N}elements/*")}
        found = PRESENTATION_REF.fullmatch(policy.get("presentation", ""))
        if ids and found is None:
            out.append(f"{policy.get('name')} has elements but no presentation")
        if found is not None:
            presentation = shown.get(found.group(1))
            if presentation is None:
                out.append(f"presentation {found.group(1)} is not in the ADML")
                continue
            refs = {k.get("refId") for k in presentation if k.get("refId")}
            if refs != ids:
                out.append(f"{policy.get('name')}: presentation shows {refs}, elements are {ids}")
    return out


def test_the_template_follows_the_schemas_structure() -> None:
    definitions = ET.fromstring(admx(SPEC))
    resources = ET.fromstring(adml(SPEC))
    assert problems(definitions) == []
    assert problems(resources) == []
    assert references(definitions, resources) == []


@pytest.mark.parametrize(
    ("which", "broken", "says"),
    [
        ("admx", ('class="Machine"', 'class="Computer"'), "is not User, Machine or Both"),
        (
            "admx",
            ('"SUPPORTED_GroupPolicy" />', '"SUPPORTED_GroupPolicy" /><keywords>x</keywords>'),
            "do not follow",
        ),
        ("admx", ('key="SOFTWARE', 'kee="SOFTWARE'), "required attribute 'key'"),
        ("admx", ("$(string.TelemetryOff)", "$(string.Nowhere)"), "Nowhere is not in the ADML"),
        ("admx", ('name="TelemetryOff"', 'name="Telemetry Off"'), "is not an item name"),
        ("adml", ('refId="Endpoint_Url"', 'refId="Endpoint_Uri"'), "presentation shows"),
        (
            "adml",
            (
                "<displayName>Lumogon telemetry</displayName>",
                "<displayname>Lumogon telemetry</displayname>",
            ),
            "do not follow",
        ),
    ],
)
def test_the_structure_check_finds_what_the_schema_refuses(
    which: str, broken: tuple[str, str], says: str
) -> None:
    """Control: each change here breaks the schema (or a reference), and the check says so."""
    admx_text, adml_text = admx(SPEC), adml(SPEC)
    if which == "admx":
        admx_text = admx_text.replace(*broken, 1)
    else:
        adml_text = adml_text.replace(*broken, 1)
    definitions, resources = ET.fromstring(admx_text), ET.fromstring(adml_text)
    found = problems(definitions) + problems(resources) + references(definitions, resources)
    assert any(says in p for p in found), found


# --- what Group Policy writes, read back ------------------------------------------------------


def apply(policy: ET.Element, state: str, choice: str = "") -> dict[str, tuple[object, int]]:
    """The registry values Group Policy writes for `policy` set to `state` ("enabled" with an
    element value `choice`, or "disabled"), read from the definition itself."""
    writes: dict[str, tuple[object, int]] = {}
    name = policy.get("valueName")
    holder = policy.find(f"{N}{state}Value")
    if name and holder is not None:
        (value,) = list(holder)
        if value.tag == f"{N}decimal":
            writes[name] = (int(value.get("value", "")), wr.REG_DWORD)
        else:
            writes[name] = (value.text or "", wr.REG_SZ)
    if state == "enabled":
        for element in policy.iterfind(f"{N}elements/*"):
            if element.tag == f"{N}enum":
                items = [i for i in element if i.findtext(f"{N}value/{N}string") == choice]
                assert len(items) == 1, choice  # a choice the template offers
                writes[element.get("valueName", "")] = (choice, wr.REG_SZ)
            elif element.tag == f"{N}text":
                writes[element.get("valueName", "")] = (choice, wr.REG_SZ)
    return writes


POLICIES = {p.get("name"): p for p in ET.fromstring(admx(SPEC)).iter(f"{N}policy")}


@pytest.mark.parametrize(
    ("policy", "state", "choice", "meant"),
    [
        ("TelemetryOff", "enabled", "", {"locks": True, "lock_key": "telemetry.enabled"}),
        ("TelemetryOff", "disabled", "", {"locks": False}),
        ("TelemetryMode", "enabled", MODE_OFF, {"locks": True, "lock_key": "telemetry.mode"}),
        ("TelemetryMode", "enabled", MODE_LOCAL, {"locks": False, "local": True}),
        ("TelemetryMode", "enabled", MODE_SEND, {"locks": False}),
        ("DisabledPurposes", "enabled", "service-health",
         {"locks": False, "locked_purposes": ("service-health",)}),
        ("DisabledPurposes", "enabled", "usage maps", {"locks": True}),  # an unknown name
        ("Endpoint", "enabled", "https://t.example.org/c",
         {"locks": False, "endpoint": "https://t.example.org/c"}),
        ("Endpoint", "enabled", "http://t.example.org/c", {"locks": True}),
    ],
)  # fmt: skip
def test_what_group_policy_writes_is_read_as_meant(
    monkeypatch: pytest.MonkeyPatch, policy: str, state: str, choice: str, meant: dict[str, object]
) -> None:
    definition = POLICIES[policy]
    assert definition.get("key") == SPEC.policy_key
    reg = FakeRegistry()
    reg.create_key(SPEC.policy_key)
    for name, (data, kind) in apply(definition, state, choice).items():
        reg.set_value(SPEC.policy_key, name, data, kind)
    monkeypatch.setitem(sys.modules, "winreg", reg.module())
    locs = Locations("c", ("HKLM\\" + SPEC.policy_key,), "i", "l")
    (reading,) = read_policies(locs, SPEC.purpose_names)
    assert reading.locks is meant["locks"]
    if reading.problem:  # read, but not exactly: it locks, and the other fields mean nothing
        assert meant["locks"] and set(meant) == {"locks"}, reading.problem
        return
    for field, value in {"local": False, "locked_purposes": (), "endpoint": "", **meant}.items():
        assert getattr(reading, field) == value, field


def test_the_template_writes_exactly_the_keys_the_reader_reads() -> None:
    names = {p.get("valueName") for p in POLICIES.values()} | {
        e.get("valueName") for p in POLICIES.values() for e in p.iterfind(f"{N}elements/*")
    }
    assert names - {None} == set(POLICY_KEYS)
    (mode,) = POLICIES["TelemetryMode"].iterfind(f"{N}elements/{N}enum")
    assert [i.findtext(f"{N}value/{N}string") for i in mode] == [MODE_OFF, MODE_LOCAL, MODE_SEND]
    assert {p.get("key") for p in POLICIES.values()} == {SPEC.policy_key}
    assert all(p.get("class") == "Machine" for p in POLICIES.values())  # HKLM only


def test_the_script_checks_freshness(tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "render_admx.py"), "--check"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout
