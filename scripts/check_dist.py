"""Check the built distributions: python scripts/check_dist.py CONSENT_DIST LUMOGON_DIST

consent's sdist must carry what it takes to run the tests and build the docs; its wheel only the
library, with the pytest plugin's entry point, no lumogon file or script, and no CLI framework
outside an extra. lumogon's wheel carries the app and its console script. No distribution may
carry caches, virtualenvs or build output.
"""

from __future__ import annotations

import re
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
    "lumogon/pyproject.toml",
    "lumogon/src/lumogon/__init__.py",
    "tests/__init__.py",
    "tests/conftest.py",
    "tests/helpers.py",
    "tests/apps/acme.py",
    "docs/index.md",
    "docs/PRIVACY.md",
    "docs/examples/acme_cli/pyproject.toml",
    "docs/examples/acme_click/pyproject.toml",
    "docs/examples/acme_argparse/pyproject.toml",
    "docs/examples/acme_otlp/pyproject.toml",
    "docs/examples/acme_settings/pyproject.toml",
    "docs/otlp.md",
    "docs/api.md",
    "scripts/render_privacy.py",
    "scripts/render_api.py",
    "scripts/check_plain_library.py",
    "scripts/build_otelcol.sh",
)
WHEEL_NEEDS = (
    "consent/__init__.py",
    "consent/argparse.py",
    "consent/click.py",
    "consent/_start.py",
    "consent/_glance.py",
    "consent/_tree.py",
    "consent/_typer.py",
    "consent/_cli/adapters/clickbuild.py",
    "consent/py.typed",
    "consent/testing/_audit/sitecustomize.py",
)
LUMOGON_WHEEL_NEEDS = (
    "lumogon/__init__.py",
    "lumogon/__main__.py",
    "lumogon/cli.py",
    "lumogon/spec.py",
    "lumogon/version.py",
    "lumogon/docker.py",
    "lumogon/report.py",
    "lumogon/transport.py",
    "lumogon/errors.py",
    "lumogon/py.typed",
)
ENTRY_POINTS = ("consent = consent.testing",)
LUMOGON_ENTRY_POINTS = ("lumogon = lumogon.cli:main",)
# Frameworks an argparse program never needs: only an extra may bring them.
FRAMEWORKS = ("typer", "click", "rich")
JUNK = ("__pycache__", ".pyc", ".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "site/")


def _wheel(dist: Path) -> tuple[set[str], str, str]:
    """The wheel's file names, its entry points and its metadata."""
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return names, whl.read(entry).decode(), whl.read(meta).decode()


def _base_requirements(metadata: str) -> list[str]:
    """The Requires-Dist lines that hold without an extra."""
    heads = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    return [h.split(":", 1)[1].strip() for h in heads if "extra ==" not in h]


def problems(dist: Path) -> list[str]:
    """What consent's sdist and wheel in `dist` lack or carry wrongly."""
    out: list[str] = []
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        # Members are "<name>-<version>/path"; compare the paths inside.
        members = {m.split("/", 1)[1] for m in tar.getnames() if "/" in m}
    out += [f"sdist lacks {p}" for p in SDIST_NEEDS if p not in members]
    names, entry_points, metadata = _wheel(dist)
    out += [f"wheel lacks {p}" for p in WHEEL_NEEDS if p not in names]
    out += [f"wheel declares no '{e}'" for e in ENTRY_POINTS if e not in entry_points]
    if "[console_scripts]" in entry_points:
        out.append("wheel declares a console script (the library has none)")
    out += [f"wheel carries {n}" for n in names if not n.startswith(("consent/", "consent-"))]
    for req in _base_requirements(metadata):
        name = re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower()
        if name in FRAMEWORKS:
            out.append(f"wheel requires a CLI framework outside an extra: {req}")
    for name in sorted(members | names):
        if any(j in name for j in JUNK):
            out.append(f"junk in a distribution: {name}")
    return out


def lumogon_problems(dist: Path) -> list[str]:
    """What lumogon's wheel in `dist` lacks or carries wrongly."""
    names, entry_points, _ = _wheel(dist)
    out = [f"lumogon wheel lacks {p}" for p in LUMOGON_WHEEL_NEEDS if p not in names]
    out += [
        f"lumogon wheel declares no '{e}'" for e in LUMOGON_ENTRY_POINTS if e not in entry_points
    ]
    out += [
        f"lumogon wheel carries {n}" for n in names if not n.startswith(("lumogon/", "lumogon-"))
    ]
    out += [f"junk in a distribution: {n}" for n in sorted(names) if any(j in n for j in JUNK)]
    return out


if __name__ == "__main__":
    found = problems(Path(sys.argv[1])) + lumogon_problems(Path(sys.argv[2]))
    for line in found:
        print(f"check_dist: {line}", file=sys.stderr)
    if found:
        sys.exit(1)
    print("check_dist: both distributions carry what they should")
