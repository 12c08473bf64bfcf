"""The notice is generated from the registry, covers every key that can be sent, and is committed."""

from __future__ import annotations

import json
import subprocess
from urllib.parse import parse_qsl

import pytest

from consent._core.spec import Field
from consent._errors import SpecError
from consent._notice.document import facts, markdown
from consent._store.choices import record_choice
from consent._store.paths import locations
from consent.testing.collector import Collector
from lumogon import SPEC
from tests.apps import acme
from tests.helpers import ACME, ROOT, SENDER_TIMEOUT, Iso, run_lumogon
from tests.lumogon.fakes import FakeEngine, FakeService, engine_env


def test_privacy_md_is_fresh() -> None:
    committed = (ROOT / "docs" / "PRIVACY.md").read_text(encoding="utf-8")
    assert committed == markdown(SPEC), (
        "docs/PRIVACY.md differs from the notice generated from lumogon's registry; "
        "regenerate it with: python scripts/render_privacy.py"
    )


def test_cli_notice_matches_the_render(iso: Iso) -> None:
    proc = run_lumogon(iso, "telemetry", "notice")
    assert proc.returncode == 0
    assert proc.stdout == markdown(SPEC) + "\n"
    data = json.loads(run_lumogon(iso, "telemetry", "notice", "--format", "json").stdout)
    assert data == json.loads(json.dumps(facts(SPEC)))
    assert run_lumogon(iso, "telemetry", "notice", "--format", "pdf").returncode == 2


@pytest.mark.parametrize("spec", [SPEC, acme.SPEC], ids=["lumogon", "acme"])
def test_every_declared_field_is_described(spec: object) -> None:
    text = markdown(spec)  # type: ignore[arg-type]
    for f in spec.fields:  # type: ignore[attr-defined]
        assert f"| `{f.wire}` | {f.description} | `{f.example}` |" in text
    for e in spec.events:  # type: ignore[attr-defined]
        assert f"**{e.name}**" in text
    assert spec.notice_version in text  # type: ignore[attr-defined]


def test_notice_names_the_ways_out_and_the_inspection_tools() -> None:
    text = markdown(SPEC)
    for needle in [
        "--disable-analytics",
        "LUMOGON_DISABLE_ANALYTICS=1",
        "DO_NOT_TRACK=1",
        "lumogon telemetry disable",
        "telemetry.toml",
        "show-payload",
        "LUMOGON_TELEMETRY_DEBUG=1",
        "lumogon telemetry log",
        "User-Agent is `lumogon/0.1.0`",
        "config.toml",
        "keyring",
        "UA-54263865-7",
        "www.google-analytics.com",
    ]:
        assert needle in text, needle


def test_a_field_without_description_or_example_is_refused() -> None:
    with pytest.raises(SpecError, match="no description"):
        SPEC.replace(fields=(*SPEC.fields, Field("cd2", " ", "x", "runtime"))).check()
    with pytest.raises(SpecError, match="no example"):
        SPEC.replace(
            fields=(*SPEC.fields, Field("cd2", "Docker API version.", "", "runtime"))
        ).check()


def keys_sent(raw_body: bytes, protocol: str) -> set[str]:
    if protocol == "legacy":
        return {k for k, _ in parse_qsl(raw_body.decode())}
    body = json.loads(raw_body)
    keys = set(body)
    for event in body["events"]:
        keys |= set(event) | set(event.get("params", {}))
    return keys


def test_every_key_of_every_real_hit_is_in_the_notice(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    record_choice(acme.SPEC, locations(acme.SPEC), enabled=True, via="test")
    with Collector() as collector:
        env = {
            **iso.env,
            "LUMOGON_TELEMETRY_ENDPOINT": collector.url,
            "ACME_TELEMETRY_ENDPOINT": collector.url,
        }
        run_lumogon(iso, "version", env=env)
        with FakeEngine() as engine, FakeService() as service:
            report = run_lumogon(
                iso, "report", env={**env, **engine_env(engine), "LUMOGON_ENDPOINT": service.url}
            )
            assert report.returncode == 0, report.stderr
        subprocess.run(
            [*ACME, "deploy", "run", "x"],
            env=env,
            check=True,
            timeout=60,
            capture_output=True,
        )
        hits = collector.wait_for(5, timeout=SENDER_TIMEOUT)
    seen_events = set()
    for hit in hits:
        assert hit.valid, hit.messages
        spec = SPEC if hit.protocol == "legacy" else acme.SPEC
        text = markdown(spec)
        for key in keys_sent(hit.body, hit.protocol):
            assert f"`{key}`" in text, (
                f"{key!r} was sent but the {spec.name} notice does not name it"
            )
        seen_events.add(
            (spec.name, hit.params.get("t") if hit.params else hit.payload["events"][0]["name"])
        )  # type: ignore[index]
    assert seen_events == {
        ("lumogon", "screenview"),
        ("lumogon", "event"),
        ("acme", "command_run"),
        ("acme", "deploy_done"),
    }
