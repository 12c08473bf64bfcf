"""Check the built sdist and wheel: python scripts/check_dist.py DIST_DIR

The sdist must carry what it takes to run the tests and build the docs; the wheel only the
package, with both entry points. Neither may carry caches, virtualenvs or build output.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

SDIST_NEEDS = (
    "pyproject.toml",
    "README.md",
    "LICENSE",
    "CHANGELOG.md",
    "mkdocs.yml",
    "consent/__init__.py",
    "consent/py.typed",
    "consent/testing/_audit/sitecustomize.py",
    "lumogon/__init__.py",
    "lumogon/__main__.py",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/helpers.py",
    "tests/apps/acme.py",
    "docs/index.md",
    "docs/PRIVACY.md",
    "docs/examples/acme_cli/pyproject.toml",
    "docs/examples/acme_click/pyproject.toml",
    "docs/examples/acme_argparse/pyproject.toml",
    "scripts/render_privacy.py",
)
WHEEL_NEEDS = (
    "consent/__init__.py",
    "consent/argparse.py",
    "consent/click.py",
    "consent/cli/adapters/clickgroup.py",
    "consent/py.typed",
    "consent/testing/_audit/sitecustomize.py",
    "lumogon/__init__.py",
    "lumogon/__main__.py",
    "lumogon/cli.py",
    "lumogon/spec.py",
    "lumogon/docker.py",
    "lumogon/report.py",
    "lumogon/transport.py",
    "lumogon/errors.py",
)
ENTRY_POINTS = ("lumogon = lumogon.cli:main", "consent = consent.testing")
JUNK = ("__pycache__", ".pyc", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site/")


def problems(dist: Path) -> list[str]:
    out: list[str] = []
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    with tarfile.open(sdist) as tar:
        # Members are "<name>-<version>/path"; compare the paths inside.
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    out += [f"sdist lacks {p}" for p in SDIST_NEEDS if p not in members]
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = whl.read(entry).decode()
    out += [f"wheel lacks {p}" for p in WHEEL_NEEDS if p not in names]
    out += [f"wheel declares no '{e}'" for e in ENTRY_POINTS if e not in entry_points]
    out += [
        f"wheel carries {n}"
        for n in names
        if not n.startswith(("consent/", "consent-", "lumogon/"))
    ]
    for name in sorted(members | names):
        if any(j in name for j in JUNK):
            out.append(f"junk in a distribution: {name}")
    return out


if __name__ == "__main__":
    found = problems(Path(sys.argv[1]))
    for line in found:
        print(f"check_dist: {line}", file=sys.stderr)
    if found:
        sys.exit(1)
    print("check_dist: the sdist and the wheel carry what they should")
