"""The notice a privacy reviewer signs: every section GDPR Art. 13 asks for, in Markdown and JSON,
for lumogon, the test app and the example app; a pseudonymous id, never an "anonymous" one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consent._core.spec import AppSpec, Destination
from consent._notice.document import facts, markdown
from consent._notice.prompts import first_run_text, question_text
from lumogon import SPEC
from tests.helpers import Iso, opt_in_spec, run_lumogon

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "acme_cli"

# Written out here, not taken from the renderer: removing a section from it must fail this test.
SECTIONS = (
    "## Who is responsible",
    "## Why data is collected",
    "## Legal basis",
    "## What is sent",
    "## When and where",
    "## Recipients and where data is processed",
    "## Retention",
    "## What is stored on this machine",
    "## Your rights",
    "## How to opt out",
    "## When this notice changes",
)
RIGHTS = ("access", "erasure", "objection", "withdrawal")
JSON_KEYS = (
    "notice_version",
    "notice_date",
    "homepage",
    "controller",
    "purpose",
    "legal_basis",
    "recipients",
    "processing_location",
    "retention",
    "rights",
)


def check_markdown(spec: AppSpec, text: str) -> None:
    for section in SECTIONS:
        assert f"\n{section}\n" in text, f"the notice lacks the section {section!r}"
    for entry in (spec.controller, spec.contact, spec.legal_basis, spec.retention, spec.recipients):
        assert entry in text
    assert f"dated {spec.notice_date}" in text
    assert spec.homepage in text
    rights = text.split("## Your rights", 1)[1].split("\n## ", 1)[0]
    for right in RIGHTS:
        assert f"- **{right.capitalize()}:**" in rights
    assert f"`{spec.name} telemetry id`" in rights  # prints the id to quote to the contact
    assert f"`{spec.name} telemetry disable` withdraws and deletes the id locally" in rights
    assert spec.destination.region_text in text
    assert "anonymous id" not in text.lower() and "Pseudonymous id" in text


def check_json(spec: AppSpec, data: dict[str, object]) -> None:
    for key in JSON_KEYS:
        assert data.get(key), f"the JSON notice lacks {key!r}"
    assert data["controller"] == {"name": spec.controller, "contact": spec.contact}
    assert data["notice_date"] == spec.notice_date
    assert [r["right"] for r in data["rights"]][:4] == list(RIGHTS)  # type: ignore[index, union-attr]
    assert "anonymous" not in json.dumps(data).lower().replace("not anonymous", "")


@pytest.mark.parametrize(
    "spec",
    [
        SPEC,
        opt_in_spec(homepage="https://acme.example"),
        opt_in_spec(
            homepage="https://acme.example",
            destination=Destination("ga4", "G-TEST000000", api_secret="s", region="eu"),
        ),
    ],
    ids=["lumogon", "acme", "acme-eu"],
)
def test_every_section_and_entry_is_rendered(spec: AppSpec) -> None:
    check_markdown(spec, markdown(spec))
    check_json(spec, facts(spec))


def test_the_cli_notice_carries_every_section(iso: Iso) -> None:
    md = run_lumogon(iso, "telemetry", "notice")
    assert md.returncode == 0
    check_markdown(SPEC, md.stdout)
    js = run_lumogon(iso, "telemetry", "notice", "--format", "json")
    check_json(SPEC, json.loads(js.stdout))


def test_the_example_app_declares_its_own_responsible_party(iso: Iso) -> None:
    env = {**iso.env, "PYTHONPATH": os.pathsep.join(filter(None, [str(EXAMPLE)]))}
    proc = subprocess.run(
        [sys.executable, "-m", "acme_cli", "telemetry", "notice", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=True,
    )
    data = json.loads(proc.stdout)
    assert data["controller"]["name"] != SPEC.controller
    assert "@" in data["controller"]["contact"]
    assert data["processing_location"]["endpoint"] == "https://region1.google-analytics.com"
    assert data["destination"]["url"].startswith("https://region1.google-analytics.com/mp/collect")


def test_a_section_missing_from_a_notice_is_found() -> None:
    text = markdown(SPEC).replace("## Legal basis\n", "")
    with pytest.raises(AssertionError, match="Legal basis"):
        check_markdown(SPEC, text)


def test_lumogon_notice_says_plainly_what_the_original_does_not() -> None:
    text = markdown(SPEC)
    assert text.count("Not stated by the original analytics page") == 3
    assert "Puppet, Inc." in text and "over HTTPS" in text


def test_the_date_is_part_of_the_version() -> None:
    assert opt_in_spec(notice_date="2027-06-30").notice_version != opt_in_spec().notice_version


def test_no_user_facing_text_calls_the_id_anonymous() -> None:
    for spec in (SPEC, opt_in_spec()):
        for text in (first_run_text(spec), question_text(spec)):
            assert "anonymous" not in text.lower().replace("pseudonymous", "")
            assert "pseudonymous" in text
    shipped = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    shipped += sorted((ROOT / "consent").rglob("*.py")) + sorted((ROOT / "lumogon").rglob("*.py"))
    offenders = []
    for path in shipped:
        if path.name in ("CHANGELOG.md", "architecture.md"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            words = line.lower().replace("pseudonymous", "").replace("not anonymous", "")
            if "anonymous" in words:
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []
