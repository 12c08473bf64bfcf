"""The admin policy's lock, exactly (consent/_core/records.py): what locks, and what is named."""

from __future__ import annotations

import pytest

from consent._core.records import policy_locks

KEYS = "(only 'enabled', 'disabled_purposes', 'mode', 'endpoint' are read)"


@pytest.mark.parametrize(
    ("doc", "locks", "problem"),
    [
        ({}, False, ""),
        ({"telemetry": {}}, False, ""),
        ({"telemetry": {"enabled": True}}, False, ""),
        ({"telemetry": {"enabled": False}}, True, ""),
        ({"telemetry": {"mode": "off"}}, True, ""),
        ({"telemetry": {"disabled": True}}, True, f"has the unknown key 'telemetry.disabled' {KEYS}"),
        ({"Telemetry": {"enabled": False}}, True,
         "has a table 'Telemetry' (the policy table is 'telemetry', lower case)"),
        ({"telemetry": {"Enabled": False}}, True, f"has the unknown key 'telemetry.Enabled' {KEYS}"),
        ({"enabled": False}, True, "has the key 'enabled' outside the 'telemetry' table"),
        ({"telemetry": 1}, True, "'telemetry' must be a table, found int"),
        ({"telemetry": {"enabled": "no"}}, True,
         "'telemetry.enabled' must be true or false, found 'no'"),
    ],
)  # fmt: skip
def test_policy_locks_exactly(doc: dict[str, object], locks: bool, problem: str) -> None:
    assert policy_locks(doc) == (locks, problem)


PURPOSES = ("usage", "service-health")


@pytest.mark.parametrize(
    ("table", "locked", "local", "problem"),
    [
        ({}, (), False, ""),
        ({"disabled_purposes": ["usage"]}, ("usage",), False, ""),
        ({"disabled_purposes": "service-health usage"}, ("usage", "service-health"), False, ""),
        ({"disabled_purposes": []}, (), False, ""),
        ({"mode": "local"}, (), True, ""),
        ({"mode": "send"}, (), False, ""),
        ({"mode": "local", "disabled_purposes": ["usage"]}, ("usage",), True, ""),
        ({"disabled_purposes": 3}, (), False, "must be a list of purpose names, found 3"),
        ({"disabled_purposes": ["usage", 1]}, (), False, "must be a list of purpose names"),
        (
            {"disabled_purposes": ["usage", "ads", "maps"]},
            (),
            False,
            "'telemetry.disabled_purposes' names 'ads', 'maps', which is not a purpose of this "
            "app (its purposes: usage, service-health)",
        ),
        (  # the first problem is the one named
            {"disabled_purposes": ["ads"], "mode": "remote"},
            (),
            False,
            "'telemetry.disabled_purposes' names 'ads', which is not a purpose of this app (its "
            "purposes: usage, service-health)",
        ),
        (
            {"disabled_purposes": ["usage"], "mode": "remote"},
            (),
            False,
            "'telemetry.mode' must be one of 'off', 'local', 'send', found 'remote'",
        ),
    ],
)
def test_policy_terms_exactly(
    table: dict[str, object], locked: tuple[str, ...], local: bool, problem: str
) -> None:
    from consent._core.records import policy_terms

    got = policy_terms({"telemetry": table}, PURPOSES)
    assert (got.locked_purposes, got.local) == (locked, local)
    assert (got.problem == problem) if problem.startswith("'") else (problem in got.problem)
    assert got.locks is bool(problem)  # a problem locks everything (fail closed)


def test_policy_terms_of_no_table_say_nothing_and_a_bad_table_locks() -> None:
    from consent._core.records import PolicyTerms, policy_terms

    assert policy_terms({}, PURPOSES) == PolicyTerms(False)
    not_a_table = policy_terms({"telemetry": 1}, PURPOSES)
    assert not_a_table.locks and "must be a table" in not_a_table.problem


def test_an_unknown_policy_key_lists_the_keys_that_are_read() -> None:
    assert policy_locks({"telemetry": {"enable": False}}) == (
        True,
        "has the unknown key 'telemetry.enable' "
        "(only 'enabled', 'disabled_purposes', 'mode', 'endpoint' are read)",
    )


@pytest.mark.parametrize(
    ("table", "enabled_set", "disabled_set", "local"),
    [
        ({}, None, frozenset(), False),
        ({"enabled_purposes": "usage x"}, frozenset({"usage", "x"}), frozenset(), False),
        ({"enabled_purposes": ""}, frozenset(), frozenset(), False),
        ({"disabled_purposes": "a  b"}, None, frozenset({"a", "b"}), False),
        ({"mode": "local"}, None, frozenset(), True),
        ({"mode": "send"}, None, frozenset(), False),
    ],
)
def test_what_a_config_records(
    table: dict[str, object],
    enabled_set: frozenset[str] | None,
    disabled_set: frozenset[str],
    local: bool,
) -> None:
    from consent._core.records import consent_record

    record = consent_record({"telemetry": table})
    assert record.enabled_set == enabled_set
    assert record.disabled_set == disabled_set
    assert record.local is local


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"mode": "remote"}, "'telemetry.mode' must be 'local' or 'send', found 'remote'"),
        ({"mode": 1}, "'telemetry.mode' must be a string, found 1"),
        ({"enabled": "yes"}, "'telemetry.enabled' must be true or false, found 'yes'"),
        ({"notice_version": 7}, "'telemetry.notice_version' must be a string, found 7"),
        (1, "'telemetry' must be a table, found int"),
    ],
)
def test_a_config_with_a_bad_value_is_invalid_naming_it(
    table: dict[str, object], words: str
) -> None:
    from consent._core.records import consent_record

    with pytest.raises(ValueError) as caught:
        consent_record({"telemetry": table})
    assert str(caught.value) == words


# The managed settings, exactly: what `status` and `telemetry policy` show as set by the
# organisation, the key that locks, the endpoint that is kept, and each refusal's wording.
@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            {"enabled": False},
            {
                "locks": True,
                "lock_key": "telemetry.enabled",
                "settings": (("telemetry.enabled", "false"),),
            },
        ),
        (
            {"mode": "off"},
            {
                "locks": True,
                "lock_key": "telemetry.mode",
                "settings": (("telemetry.mode", '"off"'),),
            },
        ),
        (
            {"enabled": True, "mode": "send"},
            {
                "locks": False,
                "lock_key": "",
                "settings": (("telemetry.enabled", "true"), ("telemetry.mode", '"send"')),
            },
        ),
        (
            {"endpoint": " https://t.example.org/c "},
            {
                "locks": False,
                "endpoint": "https://t.example.org/c",
                "settings": (("telemetry.endpoint", '" https://t.example.org/c "'),),
            },
        ),
        (
            {"endpoint": "http://127.0.0.1:8/c"},
            {"locks": False, "endpoint": "http://127.0.0.1:8/c"},
        ),
        (
            {"endpoint": 3},
            {
                "locks": True,
                "endpoint": "",
                "problem": "'telemetry.endpoint' must be a URL string, found 3",
                "settings": (("telemetry.endpoint", "3"),),
            },
        ),
        (
            {"endpoint": "http://t.example.org/c"},
            {
                "locks": True,
                "endpoint": "",
                "problem": "'telemetry.endpoint' 'http://t.example.org/c' is not allowed: only "
                "https://, or http:// on a loopback address; nothing is sent",
            },
        ),
        (
            {"mode": "local", "disabled_purposes": ["usage", "service-health"], "endpoint": 'a"\\'},
            {
                "locks": True,
                "local": False,
                "locked_purposes": (),
                "settings": (
                    ("telemetry.mode", '"local"'),
                    ("telemetry.disabled_purposes", '["usage", "service-health"]'),
                    ("telemetry.endpoint", '"a\\"\\\\"'),
                ),
            },
        ),
        (
            {"disabled_purposes": 3, "endpoint": 3},
            {
                "locks": True,
                "problem": "'telemetry.disabled_purposes' must be a list of purpose names, found 3",
            },
        ),
        (
            {"mode": "remote", "endpoint": 3},
            {
                "locks": True,
                "problem": "'telemetry.mode' must be one of 'off', 'local', 'send', found 'remote'",
            },
        ),
        ({"mode": 1.5}, {"locks": True, "settings": (("telemetry.mode", "1.5"),)}),
    ],
)
def test_policy_terms_fields_exactly(table: dict[str, object], expected: dict[str, object]) -> None:
    from consent._core.records import policy_terms

    got = policy_terms({"telemetry": table}, PURPOSES)
    for field, value in expected.items():
        assert getattr(got, field) == value, field
    if "problem" not in expected and not got.locks:
        assert got.problem == ""


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({}, (False, "", False)),
        ({"telemetry": {}}, (False, "", False)),
        ({"telemetry": {"enabled": False}}, (True, "", False)),
        ({"telemetry": {"enabled": True}}, (False, "", True)),
        (
            {"telemetry": {"enabled": "no"}},
            (True, "'telemetry.enabled' must be true or false, found 'no'", False),
        ),
        (
            {"telemetry": {"enabled": 0}},
            (True, "'telemetry.enabled' must be true or false, found 0", False),
        ),
        (
            {"telemetry": {"enabled": 1}},
            (True, "'telemetry.enabled' must be true or false, found 1", False),
        ),
        ({"telemetry": 1}, (True, "'telemetry' must be a table, found int", False)),
        ({"telemetry": []}, (True, "'telemetry' must be a table, found list", False)),
        ({"other": 1}, (True, "has the key 'other' outside the 'telemetry' table", False)),
        (
            {"telemetry": {"enabled": True}, "x": {}},
            (True, "has the key 'x' outside the 'telemetry' table", False),
        ),
        (
            {"telemetry": {"mode": "off"}},
            (True, "has the key 'telemetry.mode' (only 'telemetry.enabled' is read)", False),
        ),
        (
            {"telemetry": {"enabled": True, "mode": "send"}},
            (True, "has the key 'telemetry.mode' (only 'telemetry.enabled' is read)", False),
        ),
    ],
)
def test_project_terms_exactly(doc: dict[str, object], expected: tuple[bool, str, bool]) -> None:
    """A project file can only restrict; anything it says that cannot be read exactly disables."""
    from consent._core.records import project_terms

    assert project_terms(doc) == expected
