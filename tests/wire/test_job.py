"""The job the gate hands to the sender (consent/_wire/job.py), exactly: every field travels and
comes back as it was, and each field of the wrong type is refused, naming it (issue 24: the
edges scripts/mutate.py found untested)."""

from __future__ import annotations

import json

import pytest

from consent._core.names import SENDER_TIMEOUT
from consent._wire.job import MAX_JOB, Job

# Every field set, none to its default: a field dropped or mixed up on the way shows.
FULL = Job(
    host="collector.example",
    port=8443,
    tls=True,
    raw=bytes(range(256)),  # every byte: the request travels as latin-1 text
    log="/l/log.jsonl",
    id="rec-1",
    id_placeholder="<id>",
    keyring_service="acme-telemetry",
    id_file="/l/id",
    app="acme",
    mode="opt-in",
    notice_version="abc123",
    disable_env="ACME_DISABLE_ANALYTICS",
    config_path="/c/config.toml",
    policy_paths=("/etc/a.toml", "/etc/b.toml"),
    purpose="health",
    purposes=("usage", "health"),
    defaults_path="/usr/share/acme/telemetry-defaults.toml",
    system_root="/sys-root",
    timeout=2.5,
    proxy_env=(("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "x")),
)


def test_every_field_comes_back_as_it_was() -> None:
    text = FULL.to_json()
    assert text.isascii()
    data = json.loads(text)
    assert data["raw"] == bytes(range(256)).decode("latin-1")
    assert data["policy_paths"] == ["/etc/a.toml", "/etc/b.toml"]
    assert data["purposes"] == ["usage", "health"]
    assert data["proxy_env"] == [["HTTPS_PROXY", "http://p:1"], ["NO_PROXY", "x"]]
    assert Job.from_json(text.encode("ascii")) == FULL


def test_a_whole_number_timeout_is_read_as_seconds() -> None:
    data = json.loads(FULL.to_json())
    data["timeout"] = 3
    job = Job.from_json(json.dumps(data).encode())
    assert job.timeout == 3.0 and type(job.timeout) is float
    assert Job("h", 1, False, b"", "", "", "", "", "", "", "", "", "", "", ()).timeout == (
        SENDER_TIMEOUT
    )


FIELDS = json.loads(FULL.to_json())


@pytest.mark.parametrize(
    ("name", "value", "kind"),
    [
        ("host", 1, "str"),
        ("port", True, "int"),  # a bool is not a port
        ("port", 1.0, "int"),
        ("tls", 1, "bool"),  # an int is not a flag
        ("raw", None, "str"),
        ("log", [], "str"),
        ("id", 1, "str"),
        ("id_placeholder", None, "str"),
        ("keyring_service", None, "str"),
        ("id_file", None, "str"),
        ("app", None, "str"),
        ("mode", None, "str"),
        ("notice_version", None, "str"),
        ("disable_env", None, "str"),
        ("config_path", None, "str"),
        ("policy_paths", "/etc/a.toml", "list"),
        ("defaults_path", None, "str"),
        ("system_root", None, "str"),
        ("purpose", None, "str"),
        ("purposes", "usage", "list"),
        ("timeout", "2", "float"),
        ("timeout", True, "float"),  # a bool is no number of seconds either
        ("proxy_env", {}, "list"),
    ],
)
def test_a_field_of_another_type_is_refused_by_name(name: str, value: object, kind: str) -> None:
    data = {**FIELDS, name: value}
    with pytest.raises(ValueError, match=f"^the job's '{name}' must be {kind}$"):
        Job.from_json(json.dumps(data).encode())
    del data[name]  # a missing field likewise
    with pytest.raises(ValueError, match=f"^the job's '{name}' must be "):
        Job.from_json(json.dumps(data).encode())


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("policy_paths", ["/a", 1], "a list of str"),
        ("purposes", [None], "a list of str"),
        ("proxy_env", [["A", "b", "c"]], "a list of [str, str]"),
        ("proxy_env", [["A"]], "a list of [str, str]"),
        ("proxy_env", [["A", 1]], "a list of [str, str]"),
        ("proxy_env", [[1, "b"]], "a list of [str, str]"),
        ("proxy_env", ["Ab"], "a list of [str, str]"),
        ("proxy_env", [["A", "b"], ("C", 2)], "a list of [str, str]"),
    ],
)
def test_a_list_with_an_item_of_another_shape_is_refused(
    name: str, value: object, said: str
) -> None:
    data = {**FIELDS, name: value}
    with pytest.raises(ValueError, match=rf"^the job's '{name}' must be {said.replace('[', '.')}"):
        Job.from_json(json.dumps(data).encode())


@pytest.mark.parametrize("text", [b"[]", b'"job"', b"1", b"null"])
def test_a_job_is_a_json_object(text: bytes) -> None:
    with pytest.raises(ValueError, match=r"^a job is a JSON object$"):
        Job.from_json(text)


def test_the_pipe_is_read_up_to_a_mebibyte() -> None:
    assert MAX_JOB == 1024 * 1024  # the bound docs/security.md's inventory states: "1 MiB read"
    assert len(FULL.to_json()) < MAX_JOB // 100  # a job is a few KB: far below the cap
