"""Issue 25, point 7: the smaller things an adopter or their users trip over."""

from __future__ import annotations

import json
import subprocess
import sys

from consent import Field
from consent._notice.document import markdown
from tests.apps import acme
from tests.helpers import PROCESS_TIMEOUT, ROOT, Iso, run_lumogon


def test_allowed_takes_a_set_in_a_fixed_order() -> None:
    """ "A fixed set of strings" may be a set; the notice lists it sorted, whatever the hash seed."""
    for given in ({"failed", "ok", "aborted"}, frozenset({"ok", "failed", "aborted"})):
        f = Field("outcome", "How it ended.", "ok", "runtime", allowed=given)
        assert f.allowed == ("aborted", "failed", "ok")
        assert f.admits("ok") == ("ok", "") and f.admits("maybe")[0] is None
    code = (
        "from consent import Field; from tests.apps import acme; "
        "f = Field('outcome', 'How it ended.', 'ok', 'runtime', allowed={'ok', 'failed', "
        "'aborted', 'skipped', 'retried'}); "
        "s = acme.SPEC.replace(fields=(*acme.SPEC.fields[:-2], f, acme.SPEC.fields[-1])); "
        "print(s.notice_version, s.field('outcome').allowed_text())"
    )
    seen = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
            timeout=PROCESS_TIMEOUT,
            cwd=ROOT,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(seen) == 1, seen
    assert 'one of "aborted", "failed", "ok", "retried", "skipped"' in seen.pop()


def test_the_notice_lists_a_set_sorted() -> None:
    f = Field("outcome", "How it ended.", "ok", "runtime", allowed={"ok", "failed"})
    spec = acme.SPEC.replace(fields=(*acme.SPEC.fields[:-2], f, acme.SPEC.fields[-1]))
    assert 'one of "failed", "ok"' in markdown(spec)


def test_telemetry_id_without_an_id_says_so_in_one_sentence(iso: Iso) -> None:
    proc = run_lumogon(iso, "telemetry", "id")
    assert proc.returncode == 0 and proc.stdout == ""
    assert proc.stderr == "No pseudonymous id is stored; one is created only when a hit is sent.\n"


def test_status_says_which_ci_variable_is_set(iso: Iso) -> None:
    plain = run_lumogon(iso, "telemetry", "status")
    assert "ci:" not in plain.stdout
    ci = run_lumogon(iso, "telemetry", "status", env={"GITHUB_ACTIONS": "true"})
    assert "ci:              GITHUB_ACTIONS is set: runs here count as CI" in ci.stdout
    data = json.loads(run_lumogon(iso, "telemetry", "status", "--json", env={"CI": "1"}).stdout)
    assert data["schema"] == 7 and data["ci"]["name"] == "CI"
    assert json.loads(run_lumogon(iso, "telemetry", "status", "--json").stdout)["ci"] is None
    # A marker the grammar reads as false is not CI (docs/configuration.md).
    assert "ci:" not in run_lumogon(iso, "telemetry", "status", env={"CI": "false"}).stdout


def test_receipts_show_which_purposes_a_change_applied_to(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "disable", "service-health").returncode == 0
    assert run_lumogon(iso, "telemetry", "enable").returncode == 0
    lines = run_lumogon(iso, "telemetry", "receipts").stdout.splitlines()
    assert lines[0].endswith("purposes: service-health") and "withdrawn" in lines[0]
    assert lines[1].endswith("purposes: usage, service-health") and "given" in lines[1]
