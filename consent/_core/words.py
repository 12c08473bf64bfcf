"""What a person said about telemetry: one model, and the one function that changes it.

The model (`Words`): per purpose, the last explicit word, yes or no (or none yet), about sending
it; the notice version the yeses were given for; the mode, send or local (hits built and kept on
this machine, never sent), with the purposes local mode keeps; and the notice version shown to a
person (an opt-out app's first-run notice). A no is never undone but by a yes: local mode keeps
every purpose (`telemetry local`: "keep everything on this machine"), a refused one too, yet
when the person sends again, what they refused stays unsent. Every way a person
speaks is one transition here, `hear`: the rows of the table in docs/architecture.md. The store
(consent/_store/choices.py) reads the config into this model, applies the transition and writes
the model back (`keys`), so no command can drop what another recorded. Stronger sources (flag,
variables, policies, project files) only restrict; the rules (consent/_core/rules.py) combine
them with this model into the verdict.

Pure: values in, values out.
"""

from __future__ import annotations

from consent._core.names import MODE_LOCAL, NO, YES
from consent._core.records import ConsentRecord
from consent._core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    Act = Literal["enable", "disable", "local", "answer", "shown", "reset"]
else:  # typing is not imported at run time (see consent/_core/value.py)
    Act = str

# The transitions: how a person speaks.
ENABLE: Act = "enable"  # `telemetry enable [P…]`, consent.enable(spec, *P)
DISABLE: Act = "disable"  # `telemetry disable [P…]`, consent.disable(spec, *P)
LOCAL: Act = "local"  # `telemetry local`
ANSWER: Act = "answer"  # the opt-in question answered (yes or no; it covers every purpose)
SHOWN: Act = "shown"  # an opt-out app's first-run notice shown to a person
RESET: Act = "reset"  # `telemetry reset`: a new pseudonymous id; the words do not change

# The consent receipt each transition appends: its ISO/IEC TS 27560 action
# (consent/_store/receipts.py). `reset` changes no consent and appends none.
RECEIPT_ACTIONS: dict[str, str] = {
    ENABLE: "given",
    DISABLE: "withdrawn",
    LOCAL: "local",
    SHOWN: "notified",
}


class Speech(Record):
    """One thing a person said: a transition of the model, with how and when it was said."""

    act: Act
    purposes: tuple[str, ...] | None = None  # the purposes named or asked about (None: all)
    yes: bool = False  # answer: the answer
    method: str = ""  # how: "command", "prompt", "first-run notice", an app's own words
    expressed: str = ""  # what exactly: "lumogon telemetry enable usage"
    at: str = ""  # when (UTC, ISO 8601)

    @property
    def receipt_action(self) -> str | None:
        """The receipt's action, or None when the transition appends no receipt."""
        if self.act == ANSWER:
            return "given" if self.yes else "refused"
        return RECEIPT_ACTIONS.get(self.act)

    @property
    def via(self) -> str:
        """How it was said, as the config's `decided_via` records it."""
        return f"{self.method}: {self.expressed}" if self.expressed else self.method


class Words(Record):
    """What the person said (see the module docstring)."""

    # (purpose, YES or NO) for each purpose with a word: the app's purposes in their order, then
    # names the config holds that the app no longer declares (kept as written).
    said: tuple[tuple[str, str], ...] = ()
    version: str = ""  # the notice version the yeses were given for ("" when none is named)
    local: bool = False  # the mode: local (keep hits on this machine, never send) or send
    kept: tuple[str, ...] = ()  # in local mode, the purposes it keeps (in the app's order)
    shown: str = ""  # the notice version shown to a person (opt-out apps)
    shown_at: str = ""
    at: str = ""  # when the newest yes or no was said
    via: str = ""  # and how

    def word(self, purpose: str) -> str | None:
        for name, said in self.said:
            if name == purpose:
                return said
        return None

    def yes(self, purpose: str, version: str) -> bool:
        """A standing yes: `purpose` was enabled for the notice `version`."""
        return self.word(purpose) == YES and self.version == version

    def all_no(self, purposes: tuple[str, ...]) -> bool:
        return all(self.word(p) == NO for p in purposes)


def hear(words: Words, speech: Speech, *, purposes: tuple[str, ...], version: str) -> Words:
    """The one transition function: what the person said, after `speech`.

    `purposes`: the app's purposes, in order; `version`: the current notice version. A yes or
    no is for the current notice; yeses given for another notice version were not consent for
    this one, so a new word drops them (a no stands whatever the version).
    """
    act = speech.act
    if act == RESET:
        return words
    if act == SHOWN:
        return words.replace(shown=version, shown_at=speech.at)
    if act == LOCAL:
        return words.replace(local=True, kept=purposes)  # every purpose, a refused one too
    if act in (ENABLE, DISABLE, ANSWER):
        said = YES if (speech.yes if act == ANSWER else act == ENABLE) else NO
        # The purposes named; the question covers those it asked about (None: every one).
        changed = purposes if speech.purposes is None else speech.purposes
    else:
        raise ValueError(f"not a transition: {act!r}")
    words_now = dict(words.said)
    if words.version != version:
        words_now = {p: s for p, s in words_now.items() if s != YES}
    for p in changed:
        words_now[p] = said
    local, kept = words.local, set(words.kept)
    if act == ENABLE:
        local, kept = False, set()  # enable sends from now on
    elif local:
        kept = kept | set(changed) if said == YES else kept - set(changed)
        local = bool(kept)  # disabling every purpose kept ends local mode
    return Words(
        _ordered(words_now, purposes),
        version,
        local,
        tuple(p for p in purposes if p in kept) if local else (),
        words.shown,
        words.shown_at,
        speech.at,
        speech.via,
    )


def _ordered(said: dict[str, str], purposes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    first = tuple((p, said[p]) for p in purposes if p in said)
    return first + tuple(sorted((p, s) for p, s in said.items() if p not in purposes))


def words_of(record: ConsentRecord, purposes: tuple[str, ...]) -> Words:
    """The model of what a config records (every config ever written keeps its meaning):

    - `enabled = false`: no, for every purpose;
    - `disabled_purposes`: no, for each purpose named;
    - `enabled = true`: yes for each purpose in `enabled_purposes` or, without that key (as
      before purposes existed), for every purpose, given for `notice_version`;
    - `mode = "local"`: local mode (`"send"` or no key: send), keeping the purposes named in
      `local_purposes` or, without that key (as before it existed), every purpose without a no;
    - `notice_shown_version`: the notice shown to a person.
    """
    said: dict[str, str] = {}
    if record.enabled is False:
        said = dict.fromkeys(purposes, NO)
    else:
        if record.enabled is True:
            covered = record.enabled_set
            said.update(dict.fromkeys(purposes if covered is None else sorted(covered), YES))
        said.update(dict.fromkeys(sorted(record.disabled_set), NO))
    local = record.mode == MODE_LOCAL
    named = record.local_purposes
    kept = set(named.split()) if named is not None else {p for p in purposes if said.get(p) != NO}
    return Words(
        _ordered(said, purposes),
        record.notice_version or "",
        local,
        tuple(p for p in purposes if p in kept) if local else (),
        record.notice_shown_version or "",
        record.notice_shown_at or "",
        record.decided_at or "",
        record.decided_via or "",
    )


def keys(words: Words, purposes: tuple[str, ...]) -> dict[str, object]:
    """The model as the `[telemetry]` keys that hold it (None: no such key). The canonical
    spelling: a yes for every purpose is the single `enabled = true` (as before purposes), a
    no for every purpose `enabled = false`."""
    yes = [p for p, s in words.said if s == YES]
    no = [p for p, s in words.said if s == NO]
    every_no = bool(purposes) and set(purposes) <= set(no) and not yes
    if every_no:
        enabled: bool | None = False
    else:
        enabled = True if yes else None
    every_yes = set(yes) == set(purposes)
    return {
        "enabled": enabled,
        "enabled_purposes": " ".join(yes) if yes and not every_yes else None,
        "disabled_purposes": " ".join(no) if no and not every_no else None,
        "notice_version": words.version or None,
        "decided_at": words.at or None,
        "decided_via": words.via or None,
        "mode": MODE_LOCAL if words.local else None,
        # Only when local mode keeps other purposes than those without a no (a refused one).
        "local_purposes": (
            " ".join(words.kept)
            if words.local and set(words.kept) != {p for p in purposes if p not in no}
            else None
        ),
        "notice_shown_version": words.shown or None,
        "notice_shown_at": words.shown_at or None,
    }


def changed_keys(
    record: ConsentRecord, after: Words, purposes: tuple[str, ...]
) -> dict[str, object]:
    """The keys to write so that the config records `after`: only those whose canonical value
    changed, so that what the person wrote in their own words (`mode = "send"`, a list of every
    purpose) stays as written where it still means the same. Should that mix not read back as
    `after`, every key is written in the canonical spelling."""
    before = keys(words_of(record, purposes), purposes)
    target = keys(after, purposes)
    diff = {k: v for k, v in target.items() if before[k] != v}
    if same(words_of(record.replace(**diff), purposes), after, purposes):
        return diff
    return target


def same(a: Words, b: Words, purposes: tuple[str, ...]) -> bool:
    """Do two models mean the same: the same word for every purpose (the app's and the others
    named), the same notice version for their yeses, mode and notice shown?"""
    names = {p for p, _ in a.said} | {p for p, _ in b.said} | set(purposes)
    if any(a.word(p) != b.word(p) for p in names):
        return False
    has_yes = any(s == YES for _, s in a.said)
    return (
        (a.version == b.version or not has_yes)
        and a.local == b.local
        and (not a.local or set(a.kept) == set(b.kept))
        and a.shown == b.shown
    )
