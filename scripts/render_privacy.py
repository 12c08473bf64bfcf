"""Regenerate docs/PRIVACY.md from lumogon's registry: python scripts/render_privacy.py"""

from __future__ import annotations

from pathlib import Path

from consent._notice.document import markdown
from lumogon import SPEC

TARGET = Path(__file__).resolve().parent.parent / "docs" / "PRIVACY.md"

if __name__ == "__main__":
    TARGET.write_text(markdown(SPEC), encoding="utf-8")
    print(f"wrote {TARGET}")
