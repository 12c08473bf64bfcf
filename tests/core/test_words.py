"""The person's words (consent/_core/words.py) read and written directly: what the stateful
property (tests/cli/test_consent_state_machine.py) reaches only through the store — how each
transition is named and receipted, the transition that changes nothing, names the app no longer
declares, and the canonical spelling of the config's keys."""

from __future__ import annotations

import pytest

from consent._core.records import ConsentRecord
from consent._core.words import (
    ANSWER,
    DISABLE,
    ENABLE,
    LOCAL,
    RESET,
    SHOWN,
    Speech,
    Words,
    hear,
    keys,
    words_of,
)

P = ("usage", "service-health")


def test_each_act_is_named_and_receipted() -> None:
    actions = {act: Speech(act).receipt_action for act in (ENABLE, DISABLE, LOCAL, SHOWN, RESET)}
    assert actions == {
        "enable": "given",
        "disable": "withdrawn",
        "local": "local",
        "shown": "notified",
        "reset": None,
    }
    assert (Speech(ANSWER, yes=True).receipt_action, Speech(ANSWER).receipt_action) == (
        "given",
        "refused",
    )
    assert Speech(ENABLE, method="command", expressed="app telemetry enable").via == (
        "command: app telemetry enable"
    )
    assert Speech(ANSWER, method="prompt").via == "prompt"


def test_reset_changes_no_word_and_anything_else_is_no_transition() -> None:
    words = Words((("usage", "yes"),), "v1", True, ("usage",), "v1", "t0", "t1", "via")
    assert hear(words, Speech(RESET, at="t2", method="m"), purposes=P, version="v2") is words
    with pytest.raises(ValueError, match=r"^not a transition: 'shout'$"):
        hear(words, Speech("shout"), purposes=P, version="v1")  # type: ignore[arg-type]
    shown = hear(words, Speech(SHOWN, at="t3"), purposes=P, version="v2")
    assert shown == words.replace(shown="v2", shown_at="t3")


def test_names_the_app_no_longer_declares_are_kept_after_its_own_in_order() -> None:
    record = ConsentRecord(disabled_purposes="zz usage ads", enabled=True, enabled_purposes="x")
    words = words_of(record, P)
    assert words.said == (("usage", "no"), ("ads", "no"), ("x", "yes"), ("zz", "no"))
    got = keys(words, P)
    assert (got["enabled"], got["enabled_purposes"], got["disabled_purposes"]) == (
        True,
        "x",
        "usage ads zz",
    )
    after = hear(words, Speech(ENABLE, ("service-health",), at="t"), purposes=P, version="")
    assert after.said == (
        ("usage", "no"),
        ("service-health", "yes"),
        ("ads", "no"),
        ("x", "yes"),
        ("zz", "no"),
    )


def test_the_canonical_keys() -> None:
    every_yes = Words((("usage", "yes"), ("service-health", "yes")), "v")
    assert (keys(every_yes, P)["enabled"], keys(every_yes, P)["enabled_purposes"]) == (True, None)
    every_no = Words((("usage", "no"), ("service-health", "no")), "v")
    got = keys(every_no, P)
    assert (got["enabled"], got["disabled_purposes"], got["notice_version"]) == (False, None, "v")
    # Local mode keeping what has no no is the bare `mode = "local"`; keeping a refused
    # purpose too names them.
    local = Words((("usage", "no"),), "", True, ("service-health",))
    assert (keys(local, P)["mode"], keys(local, P)["local_purposes"]) == ("local", None)
    local = local.replace(kept=P)
    assert keys(local, P)["local_purposes"] == "usage service-health"
    assert keys(Words(), P) == dict.fromkeys(keys(Words(), P))  # nothing said: no key at all
    # Read back: without local_purposes, local mode keeps what has no no; with it, its names.
    record = ConsentRecord(mode="local", disabled_purposes="usage")
    assert words_of(record, P).kept == ("service-health",)
    assert words_of(record.replace(local_purposes="usage"), P).kept == ("usage",)
    assert words_of(record.replace(mode="send", local_purposes="usage"), P).kept == ()
