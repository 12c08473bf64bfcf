"""What building an AppSpec costs, in instructions (callgrind): lumogon's spec and a spec of 100
fields and 100 events, each built (every Field, Event and Destination with it), and built and
first used (its notice version, which a decision, a notice and a question ask first: since the
specs are cheap, that use runs the whole check, `AppSpec.check`):

    python bench/specs.py [--root DIR] [--builds 20]

`--root` puts another checkout's `consent` first on the path (a before/after comparison). Each
figure is (instructions of a process that builds N times - one that builds 0 times) / N, so the
imports and the interpreter's start are not in it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from instructions import count

HERE = Path(__file__).resolve().parent
LUMOGON_SPEC = HERE.parent / "lumogon" / "src" / "lumogon" / "spec.py"
KINDS = ("lumogon", "100 fields and events")


def _inner(kind: str, builds: int, check: bool) -> None:
    """Run in the measured process: import everything, then build `builds` times."""
    import consent  # noqa: F401 - the imports are not what is measured
    from consent import AppSpec

    if kind == "lumogon":
        code = compile(LUMOGON_SPEC.read_text("utf-8"), str(LUMOGON_SPEC), "exec")
        exec(code, {"__name__": "lumogon.spec"})  # the module's own imports, done once

        def build() -> AppSpec:
            space: dict[str, object] = {"__name__": "lumogon.spec"}
            exec(code, space)
            spec = space["SPEC"]
            assert isinstance(spec, AppSpec)
            return spec
    else:
        from growth import _events_spec

        def build() -> AppSpec:
            spec = _events_spec(100)
            assert isinstance(spec, AppSpec)
            return spec

        build()  # its imports
    for _ in range(builds):
        spec = build()
        if check:
            _ = spec.notice_version  # what a decision, a notice or a question asks first


def measure(root: str | None, builds: int) -> dict[tuple[str, bool], float]:
    """Instructions per build (thousands), and per build and first use, for each kind of spec."""
    out: dict[tuple[str, bool], float] = {}
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env["PYTHONHASHSEED"] = "0"
    path = [p for p in (root, str(HERE)) if p]
    for kind in KINDS:
        for check in (False, True):
            seen = []
            for n in (0, builds):
                code = (
                    f"import sys; sys.path[:0] = {path!r}; import specs; "
                    f"specs._inner({kind!r}, {n}, {check!r})"
                )
                with tempfile.TemporaryDirectory() as tmp:
                    argv = [sys.executable, "-s", "-c", code]
                    subprocess.run(argv, env=env, check=True, capture_output=True, timeout=600)
                    seen.append(count(argv, env, Path(tmp)))
            out[(kind, check)] = (seen[1] - seen[0]) / builds / 1e3
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", help="a directory holding another checkout's consent package")
    parser.add_argument("--builds", type=int, default=20)
    args = parser.parse_args()
    figures = measure(args.root, args.builds)
    print("| spec | built | built and first used (the notice version) |")
    print("|---|---|---|")
    for kind in KINDS:
        print(f"| {kind} | {figures[(kind, False)]:,.0f} k | {figures[(kind, True)]:,.0f} k |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
