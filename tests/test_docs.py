"""Issue 25, point 4: the docs read anywhere, and their code is the code that runs.

Every guide shows its code inline (no mkdocs include, so the Markdown reads the same on GitHub, in
an editor or in the sdist). Each snippet is held to what it shows: a block titled with an example
app's file is that file (or, titled "(excerpt)", a run of its lines); any other Python block is a run
of lines of an example app's source or a sketch named below that at least compiles; the first-run
transcripts are what the code prints; `show-payload`'s transcript is what the example app prints.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from consent._notice.prompts import first_run_text, question_text
from consent.testing.home import Home
from lumogon import SPEC as LUMOGON
from tests.apps.frameworks import SPEC as EXAMPLE
from tests.helpers import PROCESS_TIMEOUT, ROOT

DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
PAGES = sorted(DOCS.rglob("*.md"))
# Generated from the code, and held to it by their own tests: their blocks are listings, not
# examples (tests/test_public_api.py regenerates api.md).
GENERATED = ("api.md",)
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
TITLE = re.compile(r'title="([^"]+)"')
# Python blocks that illustrate a shape rather than show an example app's code; each compiles.
SKETCHES = (
    "from consent import AppSpec, Event, Purpose",  # integrate.md: purposes
    "def test_hits_go_through_the_proxy(consent_home, consent_sockets):",  # testing.md
    "records = [r for h in consent_collector.wait_for(2, timeout=10) for r in h.logs()]",
    "from consent import AppSpec, Destination",  # otlp.md: the OTLP destination
)


def blocks(page: Path) -> list[tuple[str, str, str]]:
    """(language, info after it, body) of every fenced block."""
    return [(m[1], m[2], m[3]) for m in FENCE.finditer(page.read_text("utf-8"))]


def example_file(title: str) -> Path:
    """A title names an example app's file: `acme_cli/tests/test_telemetry.py` below
    docs/examples, or `acme_cli/cli.py` below the app's own directory."""
    for path in (EXAMPLES / title, EXAMPLES / title.split("/", maxsplit=1)[0] / title):
        if path.is_file():
            return path
    raise AssertionError(f"no example file {title!r}")


def is_run_of_lines(body: str, text: str) -> bool:
    lines, within = body.splitlines(), text.splitlines()
    return any(within[i : i + len(lines)] == lines for i in range(len(within) - len(lines) + 1))


def sources() -> dict[Path, str]:
    return {p: p.read_text("utf-8") for p in sorted(EXAMPLES.rglob("*.py"))}


def test_no_page_includes_code_from_elsewhere() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted(DOCS.rglob("*"))
        if p.is_file() and "--8<--" in p.read_text("utf-8", errors="replace")
    ]
    assert offenders == []
    assert "snippets" not in (ROOT / "mkdocs.yml").read_text()


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if p.name not in GENERATED],
    ids=lambda p: str(p.relative_to(DOCS)),
)
def test_every_snippet_is_the_code_it_shows(page: Path) -> None:
    found = sources()
    for language, info, body in blocks(page):
        title = TITLE.search(info)
        if title is not None:
            name = title[1].removesuffix(" (excerpt)")
            text = example_file(name).read_text("utf-8")
            if name == title[1]:
                assert body == text, f"{page.name}: the block titled {name!r} is not that file"
            else:
                assert is_run_of_lines(body, text), f"{page.name}: {name!r} holds no such lines"
        elif language == "python":
            first = body.splitlines()[0]
            if first in SKETCHES:
                compile(body, f"{page.name}: {first}", "exec")
            else:
                assert any(is_run_of_lines(body, text) for text in found.values()), (
                    f"{page.name}: a Python block that is in no example app: {first!r}"
                )


def test_the_titled_blocks_cover_every_file_of_the_typer_example() -> None:
    """The guide shows the whole app: its registry, its commands, its tests, its dependencies."""
    text = (DOCS / "integrate.md").read_text("utf-8")
    shown = {
        TITLE.search(info)[1] for _, info, _ in blocks(DOCS / "integrate.md") if TITLE.search(info)
    }  # type: ignore[index]
    for name in ("acme_cli/telemetry.py", "acme_cli/cli.py", "acme_cli/tests/test_telemetry.py"):
        assert name in shown, name
    assert "acme_cli/pyproject.toml (excerpt)" in shown and "--8<--" not in text


def transcripts() -> list[str]:
    return [body for page in PAGES for language, _, body in blocks(page) if language == "console"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (first_run_text(LUMOGON, width=80), "lumogon's first-run notice"),
        (question_text(EXAMPLE, width=80).rstrip(" "), "the example's question"),
    ],
    ids=["notice", "question"],
)
def test_first_run_transcripts_are_what_the_code_prints(text: str, label: str) -> None:
    head = text.splitlines()[0]
    shown = [body for body in transcripts() if head in body]
    assert shown, f"no page shows {label}"
    for body in shown:
        assert text in body, f"a page shows {label} other than the code prints it"


def test_the_show_payload_transcript_is_what_the_example_prints(tmp_path: Path) -> None:
    [body] = [b for b in transcripts() if b.startswith("$ acme telemetry show-payload deploy\n")]
    home = Home.create(tmp_path / "home", os.environ)
    env = {**home.env, "PYTHONPATH": str(EXAMPLES / "acme_cli")}
    proc = subprocess.run(
        [sys.executable, "-m", "acme_cli", "telemetry", "show-payload", "deploy"],
        env=env, capture_output=True, timeout=PROCESS_TIMEOUT, check=True,
    )  # fmt: skip
    lines = body.splitlines()[1:]
    notes = [line for line in lines if line.startswith(("# ", "would "))]
    assert notes == proc.stderr.decode().splitlines()
    requests = "\n".join(line for line in lines if line not in notes)
    assert requests.strip() == proc.stdout.decode().replace("\r\n", "\n").strip()
