"""The JSON report of a scan, and its upload to the Lumogon report service.

`lumogon scan` prints the report; `lumogon report` POSTs it to the service named by
`--endpoint`, else `LUMOGON_ENDPOINT`, and prints the URL, or the id, that the service answers
with. There is no default service: a report names containers and images, so it goes only where
the person running lumogon says. The endpoint is checked as the telemetry endpoint override is
(`consent.parse_endpoint`): https, or plain http only on a loopback address.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from consent import Endpoint, EndpointError, parse_endpoint
from lumogon.docker import Scan, shown
from lumogon.errors import ExchangeError, UploadError
from lumogon.transport import exchange, parse_json
from lumogon.version import VERSION

SCHEMA = "lumogon-report/1"
ENDPOINT_ENV = "LUMOGON_ENDPOINT"
ENDPOINT_OPTION = "--endpoint"
DEADLINE = 30.0  # the whole upload, request and answer
MAX_ANSWER_BYTES = 64 * 1024
_MAX_URL = 2048
_MAX_ID = 256


def document(found: Scan, now: float | None = None) -> dict[str, object]:
    """The report: when, by which lumogon, which engine, and each running container."""
    stamp = time.gmtime(time.time() if now is None else now)
    return {
        "schema": SCHEMA,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", stamp),
        "client_version": VERSION,
        "docker": {
            "version": found.engine.version,
            "api_version": found.engine.api_version,
            "os": found.engine.os,
            "arch": found.engine.arch,
        },
        "containers": [
            {
                "id": c.id,
                "name": c.name,
                "image": c.image,
                "image_id": c.image_id,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(c.created)),
                "state": c.state,
                "status": c.status,
                "labels": dict(c.labels),
            }
            for c in found.containers
        ],
    }


def render(found: Scan, now: float | None = None) -> str:
    return json.dumps(document(found, now), indent=2)


def report_endpoint(option: str | None, environ: Mapping[str, str]) -> Endpoint:
    """Where `lumogon report` uploads: `--endpoint`, else LUMOGON_ENDPOINT; raises UploadError."""
    source, url = ENDPOINT_OPTION, (option or "").strip()
    if not url:
        source, url = ENDPOINT_ENV, environ.get(ENDPOINT_ENV, "").strip()
    if not url:
        raise UploadError(
            "no report service is configured",
            hint=f"give its URL with {ENDPOINT_OPTION} URL or {ENDPOINT_ENV}=URL (https://, or "
            "http:// on a loopback address); `lumogon scan` prints the report without uploading it",
        )
    try:
        return parse_endpoint(url)
    except EndpointError as exc:
        raise UploadError(
            f"{source}: {exc.message}",
            hint="give the report service's https:// URL (plain http:// only on 127.0.0.1 or "
            "another loopback address)",
        ) from None


def url_of(endpoint: Endpoint) -> str:
    return f"{endpoint.scheme}://{endpoint.netloc}{endpoint.prefix or '/'}"


def upload(
    report: bytes,
    endpoint: Endpoint,
    *,
    deadline: float = DEADLINE,
    max_bytes: int = MAX_ANSWER_BYTES,
) -> str:
    """POST the report; the URL (or id) the service answers with. Raises UploadError."""
    import http.client

    where = url_of(endpoint)
    hint = (
        f"try again later, or point {ENDPOINT_OPTION} (or {ENDPOINT_ENV}) at another report "
        "service; `lumogon scan` prints the report without uploading it"
    )
    conn: http.client.HTTPConnection
    if endpoint.scheme == "https":
        import ssl

        conn = http.client.HTTPSConnection(
            endpoint.host, endpoint.port, timeout=5.0, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=5.0)
    try:
        answer = exchange(
            conn,
            "POST",
            endpoint.prefix or "/",
            body=report,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": f"lumogon/{VERSION}",
            },
            deadline=deadline,
            max_bytes=max_bytes,
        )
    except ExchangeError as exc:
        raise UploadError(
            f"the report could not be uploaded to {where}: {exc.message}", hint=hint
        ) from None
    if not 200 <= answer.status < 300:
        raise UploadError(
            f"the report service at {where} refused the report: HTTP {answer.status}"
            f"{_message(answer.body)}",
            hint=hint,
        )
    found = parse_answer(answer.body)
    if found is None:
        raise UploadError(
            f"the report service at {where} answered without a report URL or id",
            hint=hint,
        )
    return found


def parse_answer(body: bytes) -> str | None:
    """The report's URL (`{"url": …}`) or id (`{"Token": …}`, as the original service
    answered, or `{"id": …}`) from the service's answer; None when it holds neither."""
    try:
        data = parse_json(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    url = data.get("url")
    if isinstance(url, str) and _plain(url, _MAX_URL) and url.startswith(("https://", "http://")):
        return url
    for key in ("Token", "id"):
        value = data.get(key)
        if isinstance(value, str) and _plain(value, _MAX_ID):
            return value
    return None


def _plain(text: str, limit: int) -> bool:
    """Printable ASCII without spaces, non-empty, at most `limit` characters: safe to print."""
    return 0 < len(text) <= limit and text.isascii() and text.isprintable() and " " not in text


def _message(body: bytes) -> str:
    try:
        data = parse_json(body)
    except ValueError:
        return ""
    text = data.get("message") or data.get("error") if isinstance(data, dict) else None
    return f": {shown(text, 200)}" if isinstance(text, str) and text else ""
