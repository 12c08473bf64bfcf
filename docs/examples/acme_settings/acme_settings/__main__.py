"""Acme Draw's Privacy settings drawn as text, standing in for a real toolkit's dialog.

Each line read is a click: a purpose's name (`usage`, `errors`) ticks or unticks its box,
`withdraw` presses "Send nothing". Two more lines are the program at work: `export` records an
`export` event (sent only while `usage` is ticked), `fail` an `export_failed` event (only while
`errors` is). End of input closes the dialog.
"""

from __future__ import annotations

import sys

import consent

from acme_settings.privacy import Page, page, tick, withdraw
from acme_settings.telemetry import SPEC


def draw(shown: Page) -> None:
    for box in shown.boxes:
        note = f" ({box.note})" if box.note else ""
        print(f"[{'x' if box.checked else ' '}] {box.purpose}: {box.label}{note}")
    if shown.message:
        print(f"! {shown.message}")


def main() -> int:
    print(f"{SPEC.display_name} settings: Privacy")
    shown = page()
    draw(shown)
    for line in sys.stdin:
        word = line.strip()
        if word == "export":
            consent.record_event(SPEC, "export", {"format": "png"})
            print("exported drawing.png")
            continue
        if word == "fail":
            consent.record_event(SPEC, "export_failed", {"reason": "disk_full"})
            print("could not export drawing.png: the disk is full")
            continue
        if word == "withdraw":
            shown = withdraw()
        elif word in SPEC.purpose_names:
            box = next(b for b in shown.boxes if b.purpose == word)
            shown = tick(word, not box.checked)
        else:
            print(
                f"? {word}: type a purpose ({', '.join(SPEC.purpose_names)}), withdraw, export or fail"
            )
            continue
        draw(shown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
