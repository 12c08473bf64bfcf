"""The library alone, as `pip install consent` gives it: python scripts/check_plain_library.py

A plain script, no CLI framework: in a temporary home it records the person's yes with
`consent.enable(SPEC)`, reads it back with `consent.decide(SPEC).enabled`, records the no with
`consent.disable(SPEC)`, and checks that the two left two consent receipts, and that neither
typer, click nor rich was imported. .ci/run runs it with a fresh venv that holds the consent
wheel and nothing else (no lumogon, no extra); tests/test_plain_library.py runs it from the
checkout. Exits 0, or 1 after naming each thing that went wrong.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

FRAMEWORKS = ("typer", "click", "rich")
RECEIPTS = "consent-receipts.jsonl"  # docs/configuration.md: the receipts, in the state dir
VIA = "a plain script"


def isolate(home: Path) -> None:
    """Every file the library reads or writes under `home`; no off switch of the machine's; no
    desktop keyring (the id falls back to its file)."""
    for name in list(os.environ):
        if name.startswith(("XDG_", "PLAIN_")) or name in ("DO_NOT_TRACK", "CI"):
            del os.environ[name]
    os.environ["HOME"] = str(home)
    for name, sub in (("CONFIG", "config"), ("DATA", "data"), ("STATE", "state")):
        os.environ[f"XDG_{name}_HOME"] = str(home / sub)
    os.environ["XDG_CACHE_HOME"] = str(home / "cache")
    os.environ["XDG_CONFIG_DIRS"] = str(home / "etc")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.chdir(home)  # the per-project search starts here and stops at the home


def check() -> list[str]:
    import consent

    spec = consent.AppSpec(
        name="plain",
        display_name="Plain",
        version="1.0.0",
        env_prefix="PLAIN",
        mode="opt-in",
        # Nothing is sent: the secret only makes the destination valid.
        destination=consent.Destination("ga4", "G-PLAIN00000", api_secret="plain", region="eu"),  # noqa: S106
        fields=(
            consent.Field("client_id", "Pseudonymous id.", "6f1c…", "client_id"),
            consent.Field("name", "Which event happened.", "used", "hit_type"),
            consent.Field("engagement_time_msec", "Required by GA4.", "1", "constant", "1"),
        ),
        common=("client_id", "name", "engagement_time_msec"),
        events=(consent.Event("used", "The program was used.", "used"),),
        purpose="To check that the library records consent from code.",
        access="Nobody: nothing is sent.",
        controller="The consent developers",
        contact="https://example.invalid",
        legal_basis="Consent.",
        retention="0 days",
        recipients="None.",
        notice_date="2026-12-01",
    )
    out = []
    if consent.decide(spec).enabled:
        out.append("enabled before anyone said yes")
    enabled = consent.enable(spec, via=VIA)
    if not (isinstance(enabled, consent.Decision) and enabled.enabled):
        out.append(f"consent.enable returned {enabled!r}, not an enabled Decision")
    if not consent.decide(spec).enabled:
        out.append("consent.decide(SPEC).enabled is False after consent.enable(SPEC)")
    disabled = consent.disable(spec, via=VIA)
    if not isinstance(disabled, consent.Decision) or disabled.enabled:
        out.append(f"consent.disable returned {disabled!r}, not a disabled Decision")
    if consent.decide(spec).enabled:
        out.append("consent.decide(SPEC).enabled is True after consent.disable(SPEC)")
    found = sorted(Path.cwd().rglob(RECEIPTS))
    lines = [ln for f in found for ln in f.read_text("utf-8").splitlines() if ln.strip()]
    if len(lines) != 2:
        out.append(f"{len(lines)} consent receipts were written, not 2: {found}")
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in FRAMEWORKS)
    if loaded:
        out.append(f"a CLI framework was imported: {', '.join(loaded)}")
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        isolate(Path(home))
        try:
            problems = check()
        finally:
            os.chdir(tempfile.gettempdir())  # out of the home before it is removed
    import consent

    for problem in problems:
        print(f"check_plain_library: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_plain_library: consent from code works, with {consent.__file__} alone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
