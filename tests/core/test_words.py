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
    # The names the `Act` type spells: a typed caller may write them as literals.
    assert (ENABLE, DISABLE, LOCAL, ANSWER, SHOWN, RESET) == (
        "enable",
        "disable",
        "local",
        "answer",
        "shown",
        "reset",
    )
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


def test_local_mode_keeps_what_it_is_told_purpose_by_purpose() -> None:
    local = hear(Words(), Speech(LOCAL), purposes=P, version="v")
    assert (local.local, local.kept) == (True, P)
    one = hear(local, Speech(DISABLE, ("usage",)), purposes=P, version="v")
    assert (one.local, one.kept, one.said) == (True, ("service-health",), (("usage", "no"),))
    again = hear(one, Speech(ANSWER, ("usage",), yes=True), purposes=P, version="v")
    assert (again.local, again.kept) == (True, P)  # the answer keeps the mode, adds the purpose
    none = hear(one, Speech(DISABLE, ("service-health",)), purposes=P, version="v")
    assert (none.local, none.kept) == (False, ())  # disabling every purpose kept ends it


def test_a_yes_stands_for_the_notice_it_was_given_for_only() -> None:
    words = Words((("usage", "yes"), ("service-health", "no")), "v0")
    assert words.yes("usage", "v0") and not words.yes("usage", "v1")
    assert not words.yes("service-health", "v0") and words.all_no(("service-health",))
    # A yes for a name the app no longer declares keeps `enabled = true` beside a no for all
    # of the app's purposes.
    assert keys(Words((("usage", "yes"), ("x", "yes")), "v"), P)["enabled_purposes"] == "usage x"
    got = keys(Words((("usage", "no"), ("service-health", "no"), ("x", "yes")), "v"), P)
    assert (got["enabled"], got["enabled_purposes"], got["disabled_purposes"]) == (
        True,
        "x",
        "usage service-health",
    )


def test_same_compares_what_the_words_mean() -> None:
    from consent._core.words import same

    base = Words((("usage", "yes"),), "v1", True, ("usage",), "v1", "t0", "t1", "via")
    assert same(base, base.replace(shown_at="", at="", via="", kept=("usage",)), P)
    for other in (
        base.replace(said=(("usage", "no"),)),
        base.replace(said=(("usage", "yes"), ("ads", "no"))),  # a name only one side has
        base.replace(version="v2"),  # the yes was given for another notice
        base.replace(local=False, kept=()),
        base.replace(kept=P),
        base.replace(shown="v2"),
    ):
        assert not same(base, other, P), other
        assert not same(other, base, P), other
    no_yes = Words((("usage", "no"),), "v1")
    assert same(no_yes, no_yes.replace(version="v2"), P)  # no yes: its version means nothing
    sending = Words((("usage", "no"),), "v1", False, ())
    assert same(sending, sending.replace(kept=("usage",)), P)  # kept means nothing then


def test_changed_keys_keep_the_persons_spelling_where_it_still_means_the_same() -> None:
    """Only the keys whose meaning changed are written; but when the person's other keys would
    then say something else, every key is written in the canonical spelling."""
    from consent._core.words import changed_keys

    mine = ConsentRecord(enabled=True, enabled_purposes="usage service-health", notice_version="v")
    mine = mine.replace(mode="send")
    after = hear(words_of(mine, P), Speech(SHOWN, at="t"), purposes=P, version="v")
    assert changed_keys(mine, after, P) == {"notice_shown_version": "v", "notice_shown_at": "t"}
    # A local_purposes left over while sending would narrow local mode: rewritten.
    stale = ConsentRecord(local_purposes="usage")
    after = hear(words_of(stale, P), Speech(LOCAL), purposes=P, version="v")
    assert changed_keys(stale, after, P) == keys(after, P)
    # disabled_purposes beside `enabled = false` would outlive a yes to every purpose.
    both = ConsentRecord(enabled=False, disabled_purposes="usage service-health")
    after = hear(words_of(both, P), Speech(ENABLE), purposes=P, version="v")
    assert changed_keys(both, after, P) == keys(after, P)
