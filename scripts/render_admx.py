"""Regenerate lumogon's Group Policy template from the policy keys and its spec:
python scripts/render_admx.py            writes docs/group-policy/lumogon.admx and en-US/lumogon.adml
python scripts/render_admx.py --check    exits 1 if the committed files differ from what it would write
python scripts/render_admx.py --validate DIR
                                         validates both files against the ADMX schema files in DIR
                                         (PolicyDefinitionFiles.xsd and the two it includes, from
                                         Microsoft's "Group Policy ADMX Syntax Schema" download);
                                         needs lxml
"""

from __future__ import annotations

import sys
from pathlib import Path

from consent._notice.admx import adml, admx, file_stem
from lumogon import SPEC

TARGET = Path(__file__).resolve().parent.parent / "docs" / "group-policy"


def files() -> dict[Path, str]:
    stem = file_stem(SPEC)
    return {TARGET / f"{stem}.admx": admx(SPEC), TARGET / "en-US" / f"{stem}.adml": adml(SPEC)}


def validate(schemas: Path) -> int:
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(schemas / "PolicyDefinitionFiles.xsd")))
    failed = 0
    for path in files():
        if schema.validate(etree.parse(str(path))):
            print(f"valid: {path}")
        else:
            failed = 1
            print(f"NOT valid: {path}\n{schema.error_log}")
    return failed


def main(argv: list[str]) -> int:
    if argv[:1] == ["--validate"] and len(argv) == 2:
        return validate(Path(argv[1]))
    stale = [p for p, text in files().items() if not p.exists() or p.read_text("utf-8") != text]
    if argv == ["--check"]:
        for p in stale:
            print(f"stale: {p} (regenerate it with: python scripts/render_admx.py)")
        return 1 if stale else 0
    if argv:
        print(__doc__)
        return 2
    for p, text in files().items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
