"""What the installation's packager changed, in words: for the first-run notice, the opt-in
question and `telemetry notice`.

A packager's `telemetry-defaults.toml` (docs/admin.md, "Debian-style packaging") only makes an
app stricter or sends its hits to the distribution's own collector; the person is told so
wherever the app's own defaults are described, with the file that says it.
"""

from __future__ import annotations

from consent._core.rules import Decision
from consent._core.spec import AppSpec


def packager_off(decision: Decision) -> tuple[str, ...]:
    """The purposes a packager's default keeps off (until the person enables them)."""
    return tuple(
        p.purpose
        for p in decision.purposes
        if p.decided_by.source == "packager"
        and p.decided_by.origin.get("key") == "telemetry.disabled_purposes"
    )


def packager_changes(spec: AppSpec, decision: Decision) -> list[str]:
    """Each change to the app's defaults in force, as a clause; empty when there is none."""
    out = []
    if decision.mode and decision.mode != spec.mode:
        out.append(
            f"{spec.display_name} asks before sending anything (its own default is to send "
            "once its notice has been shown)"
        )
    off = packager_off(decision)
    if off:
        them = "it" if len(off) == 1 else "them"
        out.append(
            f"{', '.join(off)} stay{'s' if len(off) == 1 else ''} off until you enable {them}"
        )
    if decision.default_url:
        out.append(f"hits go to {decision.default_url}, not to {spec.destination.origin}")
    return out


def packager_text(spec: AppSpec, decision: Decision) -> str:
    """One paragraph (no trailing newline), or "" when the packager changed nothing."""
    if not decision.defaults:
        return ""
    path = decision.defaults[0].path
    broken = [m for m in decision.defaults if not m.key]
    if broken:
        return (
            f"This installation's defaults ({path}) cannot be read: {broken[0].note}. "
            f"Reinstall {spec.name}, or tell whoever packaged it."
        )
    changes = packager_changes(spec, decision)
    if not changes:
        return ""
    return (
        f"The packager of this installation changed the defaults ({path}): "
        + "; ".join(changes)
        + "."
    )
