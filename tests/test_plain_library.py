"""scripts/check_plain_library.py from the checkout: consent from code, in a plain script, writes
two receipts and imports no CLI framework (typer and click are installed here, so an import of
either would show). .ci/run runs the same script against the consent wheel alone."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import PROCESS_TIMEOUT, ROOT


def test_a_plain_script_records_consent_from_code_with_no_cli_framework() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_plain_library.py")],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
