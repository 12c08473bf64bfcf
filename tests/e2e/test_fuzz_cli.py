"""Fuzzing the telemetry commands in-process with random config, policy and env values.

`status`, `disable` and `status --json` run through lumogon's own CLI (typer's CliRunner) on
random bytes: they always exit 0 or 1 with a message and never raise; garbage never enables;
`disable` never loses what the file held (same data and comments, or the exact bytes in a
backup); what `status` prints for people carries no control characters. A second property
puts secrets in argv, in unrelated env variables and in the config's other tables: none reaches
a request, whether printed by `show-payload` or by the debug mode of a real run.
(tests/store/test_decision_property.py fuzzes the decision itself, tests/cli/test_argv_secrets.py
argv.)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from consent._core.names import MANAGED_KEYS, TABLE
from consent._core.records import consent_record
from consent._core.spec import AppSpec
from consent._store.tomlread import parse_toml
from lumogon import SPEC, app
from tests.helpers import SCRUB, secrets

pytestmark = pytest.mark.slow

CURRENT = SPEC.notice_version


def config_bytes(current: str) -> st.SearchStrategy[bytes]:
    versions = st.sampled_from([current, "0000000000", "", current.upper(), current + " "])
    lines = st.one_of(
        st.sampled_from(
            ["[telemetry]", "[other]", "telemetry = 1", "[[telemetry]]", "# c", "", "x = 1"]
        ),
        st.builds(
            lambda b: f"enabled = {b}", st.sampled_from(["true", "false", '"yes"', "1", "True"])
        ),
        st.builds(lambda v: f'notice_version = "{v}"', versions),
        st.builds(lambda v: f'notice_shown_version = "{v}"', versions),
        st.builds(lambda v: f"telemetry.enabled = {v}", st.sampled_from(["true", "false"])),
        st.text(max_size=20),
    )
    return st.one_of(
        st.binary(max_size=200),
        st.lists(lines, max_size=8).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
    )


def policy_bytes() -> st.SearchStrategy[bytes | None]:
    return st.one_of(
        st.none(),
        st.binary(max_size=60),
        st.sampled_from(
            [
                b"[telemetry]\nenabled = true\n",
                b"[telemetry]\nenabled = false\n",
                b"[telemetry]\nenabled = 0\n",
                b"",
                b"[other]\n",
            ]
        ),
    )


# How the production readers see a file, for the CLI's output to be judged against (the decision
# itself is held to design §3 by tests/store/test_decision_property.py's own oracle).


def explicit_enable(data: bytes, spec: AppSpec) -> bool:
    try:
        record = consent_record(parse_toml(data))
    except (ValueError, RecursionError):
        return False
    if record.enabled is True and record.notice_version == spec.notice_version:
        return True
    # An opt-out app also runs once its current notice was shown and nothing disables.
    return (
        spec.mode == "opt-out"
        and record.enabled is not False
        and (record.notice_shown_version == spec.notice_version)
    )


def policy_allows(data: bytes | None) -> bool:
    if data is None:
        return True
    try:
        doc = parse_toml(data)
    except (ValueError, RecursionError):
        return False
    if any(key != "telemetry" for key in doc):
        return False  # a key beside the telemetry table: an ambiguous policy locks
    table = doc.get("telemetry")
    if table is None:
        return True
    # Only `enabled = true` leaves it unlocked here (the managed purpose and mode keys, which a
    # random document hardly ever spells, are left to tests/store/test_decision_property.py).
    return (
        isinstance(table, dict) and set(table) <= {"enabled"} and table.get("enabled", True) is True
    )


POLICY = policy_bytes()
# Shapes of TOML that editors and people produce, beyond random lines and bytes.
SHAPES = st.sampled_from(
    [
        b"\xef\xbb\xbf[telemetry]\nenabled = false\n",  # a BOM
        b"# mine\r\n[telemetry]\r\nenabled = false\r\n[other]\r\nk = 1\r\n",  # CRLF
        b"telemetry.enabled = false  # dotted\nother = 1\n",
        b"telemetry = { enabled = false }  # inline\n[x]\ny = 2\n",
        b"[[telemetry]]\nenabled = false\n",
        b"[telemetry.sub]\nx = 1\n[other]\ny = 2\n",
        b"[a]\ntelemetry.enabled = true\n[telemetry]\nenabled = false\n",
        b'[telemetry]\nenabled = false\ndecided_via = "\\u001b]0;x\\u0007"\n',
        b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n",  # deeper than any parser's recursion
        b"# caf\xc3\xa9 \xe2\x80\x94 ok\n[telemetry]\nenabled = true\nnotice_version = '"
        + CURRENT.encode()
        + b"'\n",
        b"[telemetry]\nenabled = true\n" + b"# " + b"x" * 100_000 + b"\n",
    ]
)
CONFIG = st.one_of(config_bytes(CURRENT), SHAPES, st.none())
ENV_VALUE = st.one_of(
    st.none(),
    st.sampled_from(["", " 0 ", "FALSE", "no", "1", " On ", "\t", "é", "\x1b[31m", "x" * 5000]),
    # What an environment can hold: no NUL, no lone surrogates (os.environ cannot encode them).
    st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=12),
)
QUIET = ("", "0", "false", "no", "off")
SECRETS = secrets()


@pytest.fixture(scope="module", autouse=True)
def file_keyring() -> Iterator[None]:
    """In this process keyring keeps its backend: make it the file-backed test keyring."""
    import keyring

    from consent.testing.keyring import FileKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield
    keyring.set_keyring(previous)


def isolated(root: Path, extra: Mapping[str, str | None]) -> dict[str, str | None]:
    env: dict[str, str | None] = dict.fromkeys(SCRUB)
    env.update(
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_CONFIG_DIRS=str(root / "etc"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_STATE_HOME=str(root / "state"),
        CONSENT_TEST_KEYRING=str(root / "keyring.json"),
    )
    env.update(extra)
    return env


def invoke(
    args: list[str], env: Mapping[str, str | None], usage_errors: bool = False
) -> tuple[int, str, str]:
    """Run one command line; 0 or 1 with a message, or 2 for click's usage errors if allowed."""
    result = CliRunner().invoke(app, args, env=env)
    # Only a deliberate exit may end a command: typer.Exit or click's own usage errors.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: uncaught {result.exception!r}") from result.exception
    out, err = result.stdout, result.stderr
    assert "Traceback" not in out + err, err
    if usage_errors and result.exit_code == 2:
        assert "Usage:" in err, err
        return 2, out, err
    assert result.exit_code in (0, 1), (args, result.exit_code, err)
    if result.exit_code == 1:
        assert err.startswith("error: "), err  # a message, not silence
    return result.exit_code, out, err


def without_managed(doc: dict[str, Any]) -> dict[str, Any]:
    """The document minus the keys `disable` writes: what must survive any write."""
    doc = dict(doc)
    table = doc.pop(TABLE, None)
    if isinstance(table, dict):
        rest = {k: v for k, v in table.items() if k not in MANAGED_KEYS}
        if rest:
            doc[TABLE] = rest
    return doc


def kept(original: bytes, config: Path) -> str | None:
    """Why the original bytes are not recoverable after `disable`, or None."""
    if any(b.read_bytes() == original for b in config.parent.glob(f"{config.name}.bak-*")):
        return None
    new = config.read_bytes()
    try:
        before, after = parse_toml(original), parse_toml(new)
    except ValueError as exc:
        return f"no backup, and {exc}"
    if without_managed(before) != without_managed(after):
        return "no backup, and the data outside the managed keys changed"
    text = new.decode("utf-8")
    lost = [
        line
        for line in original.decode("utf-8").splitlines()
        if line.strip().startswith("#") and line.strip() not in text
    ]
    return f"no backup, and comments lost: {lost}" if lost else None


def printable(text: str) -> bool:
    return all(ch.isprintable() or ch == "\n" for ch in text)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=CONFIG, policy=POLICY, app_env=ENV_VALUE, dnt=ENV_VALUE)
def test_status_and_disable_on_random_files(
    config: bytes | None, policy: bytes | None, app_env: str | None, dnt: str | None
) -> None:
    root = Path(tempfile.mkdtemp(prefix="consent-fuzz-"))
    try:
        env = isolated(root, {SPEC.disable_env: app_env, "DO_NOT_TRACK": dnt})
        path = root / "config" / SPEC.name / "config.toml"
        if config is not None:
            path.parent.mkdir(parents=True)
            path.write_bytes(config)
        if policy is not None:
            (root / "etc" / SPEC.name).mkdir(parents=True)
            (root / "etc" / SPEC.name / "telemetry.toml").write_bytes(policy)
        before = sorted(str(p) for p in root.rglob("*"))

        code, out, _ = invoke(["telemetry", "status"], env)
        assert code == 0 and printable(out), out  # nothing from a file or env drives the tty
        assert sorted(str(p) for p in root.rglob("*")) == before  # reading never writes
        quiet = all(v is None or v.strip().lower() in QUIET for v in (app_env, dnt))
        # Garbage never enables, and a clean enable is not lost: enabled exactly when the config
        # holds consent for this notice, the policy allows and no variable disables.
        reason = config is not None and explicit_enable(config, SPEC)
        expected = reason and policy_allows(policy) and quiet
        heads = {
            f"Telemetry for {SPEC.name} is {w}.": w == "enabled" for w in ("enabled", "disabled")
        }
        enabled = heads[out.split("\n", 1)[0]]
        assert enabled == expected, (config, policy, app_env, dnt, out)

        code, _, err = invoke(["telemetry", "disable"], env)
        if code == 1:
            assert f"{SPEC.disable_env}=1" in err, err  # the way out that always works
            assert config is None or path.read_bytes() == config  # refused: untouched
        else:
            assert consent_record(parse_toml(path.read_bytes())).enabled is False
            if config is not None:
                why = kept(config, path)
                assert why is None, why

        code, out, _ = invoke(["telemetry", "status", "--json"], env)
        assert code == 0 and json.loads(out)["enabled"] is False
    finally:
        shutil.rmtree(root)


UNRELATED = ("GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "NPM_TOKEN", "MY_PASSWORD")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(SECRETS, min_size=1, max_size=4),
    env_secret=SECRETS,
    config_secret=SECRETS,
    head=st.sampled_from([[], ["version"], ["telemetry", "status"]]),
)
def test_secrets_anywhere_never_reach_a_request(
    words: list[str], env_secret: str, config_secret: str, head: list[str]
) -> None:
    root = Path(tempfile.mkdtemp(prefix="consent-fuzz-"))
    try:
        path = root / "config" / SPEC.name / "config.toml"
        path.parent.mkdir(parents=True)
        table = f'[telemetry]\nenabled = true\nnotice_version = "{CURRENT}"\n'
        path.write_text(f"[report.upload]\ntoken = {json.dumps(config_secret)}\n{table}", "utf-8")
        extra: dict[str, str | None] = dict.fromkeys(UNRELATED, env_secret)
        extra["LUMOGON_TELEMETRY_DEBUG"] = "1"
        env = isolated(root, extra)
        secrets = {w for w in [*words, env_secret, config_secret] if len(w) > 3}

        # What show-payload prints for a command line full of secrets (1: not a command,
        # 2: an option it does not know).
        _, out, _ = invoke(["telemetry", "show-payload", *head, *words], env, usage_errors=True)
        for secret in secrets:
            assert secret not in out, (secret, out)
        # A real run in debug mode prints the exact request instead of sending it.
        result = CliRunner().invoke(app, ["version"], env=env)
        assert result.exit_code == 0 and result.stdout == "lumogon 0.1.0\n"
        printed = result.stderr
        assert "POST /collect HTTP/1.1" in printed
        for secret in secrets:
            assert secret not in printed, (secret, printed)
    finally:
        shutil.rmtree(root)
