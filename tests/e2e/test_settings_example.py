"""The integration guide's program without a command line (docs/examples/acme_settings), run as a
person would use it: each click on its settings page is recorded with `consent.enable` or
`consent.disable`, each leaves a receipt, and only the events of a ticked purpose are sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import consent
from consent.testing.collector import Collector
from consent.testing.home import Home
from tests.helpers import PROCESS_TIMEOUT, ROOT, SENDER_TIMEOUT

EXAMPLE = ROOT / "docs" / "examples" / "acme_settings"
sys.path.insert(0, str(EXAMPLE))
from acme_settings.telemetry import SPEC  # noqa: E402

GUIDE = ROOT / "docs" / "integrate.md"


def dialog(home: Home, clicks: str, env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "acme_settings"],
        input=clicks,
        env={**home.env, "PYTHONPATH": os.pathsep.join([str(EXAMPLE), str(ROOT)]), **(env or {})},
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout.splitlines()


def receipts(home: Home) -> list[dict[str, object]]:
    lines = home.locations(SPEC).receipts_file.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


USAGE = "[{}] usage: Which features are used, so that work goes where it helps most."
ERRORS = "[ ] errors: Which exports fail and why, so that they get fixed."


def guide_block(opening: str) -> str:
    """The text of the first code block opened by the line `opening` in the guide's section on
    programs without a command line."""
    text = GUIDE.read_text("utf-8")
    section = text.index(". Programs without a command line\n")
    start = text.index(opening + "\n", section) + len(opening) + 1
    return text[start : text.index("```\n", start)]


def test_the_guide_shows_the_example_s_own_code() -> None:
    shown = guide_block('```python title="acme_settings/privacy.py"')
    assert shown == (EXAMPLE / "acme_settings" / "privacy.py").read_text("utf-8")


@pytest.mark.slow
def test_each_click_is_recorded_and_only_a_ticked_purpose_sends(
    consent_home: Home, consent_collector: Collector
) -> None:
    endpoint = {"ACME_DRAW_TELEMETRY_ENDPOINT": consent_collector.url}
    transcript = guide_block("```console").splitlines()  # the guide's, which this checks
    assert transcript[0] == "$ printf 'export\\nusage\\nexport\\nfail\\n' | acme-settings"
    shown = dialog(consent_home, "export\nusage\nexport\nfail\n", endpoint)
    assert shown == transcript[1:]
    # The export while `usage` was ticked is sent; nothing before the click, nor for `errors`.
    (hit,) = consent_collector.wait_for(1, timeout=SENDER_TIMEOUT)
    assert hit.valid and hit.payload["events"][0]["name"] == "export_done"  # type: ignore[index]
    assert len(consent_home.log(SPEC)) == 1  # a hit is logged before its sender starts

    # The dialog again: "Send nothing", then the program at work sends nothing.
    shown = dialog(consent_home, "withdraw\nexport\n", endpoint)
    assert shown[-3:] == [USAGE.format(" "), ERRORS, "exported drawing.png"]
    assert len(consent_home.log(SPEC)) == 1
    # Two clicks changed consent: two receipts, each saying how the person answered.
    assert [r["method"] for r in receipts(consent_home)] == ["settings dialog"] * 2
    assert consent.decide(SPEC).enabled is False


@pytest.mark.slow
def test_a_policy_lock_is_shown_on_the_page_and_the_click_changes_nothing(
    consent_home: Home,
) -> None:
    policy = consent_home.write_policy(SPEC, "[telemetry]\nenabled = false\n")
    shown = dialog(consent_home, "usage\n")
    assert shown[1].startswith("[ ] usage:") and str(policy) in shown[1]  # the note: what decides
    assert shown[-1].startswith("! ") and str(policy) in shown[-1]  # why the click was refused
    assert not consent_home.locations(SPEC).config_file.exists()
