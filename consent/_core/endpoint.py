"""An endpoint URL, parsed and checked: https, or plain http on a loopback address only.

Pure: the override variable, an admin policy's managed `endpoint` and the app's destination
all go through `parse_endpoint`, so one rule decides what a hit may be sent to. The store
checks a policy's endpoint with it while reading (a bad one locks), the wire when it encodes.
"""

from __future__ import annotations

from consent._core.value import Record
from consent._errors import EndpointError

__all__ = ["Endpoint", "is_loopback", "parse_endpoint"]


class Endpoint(Record):
    """A checked base URL: `scheme` (https, or http on loopback), `host`, `port` and the path
    `prefix`; `netloc` is the host as the Host header carries it."""

    scheme: str
    host: str
    port: int
    prefix: str  # path prefix from an override, "" for the app's destination

    @property
    def netloc(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host == "::1":
        return True
    parts = host.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts):
        return parts[0] == "127"
    import ipaddress  # the rare spellings: IPv6 forms, IPv4-mapped addresses

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_endpoint(url: str) -> Endpoint:
    """Parse a base URL; raises EndpointError unless it is https, or http on a loopback address."""
    text = url.strip()
    # Its host and path go into the Host header and the request line byte for byte.
    if not text.isascii() or not text.isprintable() or " " in text:
        raise EndpointError(
            f"{url!r} must be printable ASCII without spaces (punycode for names, %-escapes)",
            url=url,
        )
    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if not sep or not scheme.isalpha():
        raise EndpointError(f"{url!r} is not a valid URL", url=url)
    if any(c in rest for c in "?#@\\"):
        raise EndpointError(
            f"{url!r} must be scheme://host[:port][/path] with nothing else", url=url
        )
    netloc, slash, path = rest.partition("/")
    host, port = _host_port(url, netloc)
    if not host:
        raise EndpointError(
            f"{url!r} must be scheme://host[:port][/path] with nothing else", url=url
        )
    if scheme == "https" or (scheme == "http" and is_loopback(host)):
        port = port or (443 if scheme == "https" else 80)
        return Endpoint(scheme, host, port, ("/" + path if slash else "").rstrip("/"))
    raise EndpointError(
        f"{url!r} is not allowed: only https://, or http:// on a loopback address", url=url
    )


def _host_port(url: str, netloc: str) -> tuple[str, int | None]:
    if netloc.startswith("["):
        close = netloc.find("]")
        host, after = netloc[1:close], netloc[close + 1 :]
        if close < 0 or not host or (after and not after.startswith(":")):
            raise EndpointError(f"{url!r} is not a valid URL", url=url)
        port_text = after[1:]
    else:
        host, _, port_text = netloc.partition(":")
        if ":" in port_text:
            raise EndpointError(f"{url!r} is not a valid URL", url=url)
    if not port_text:
        return host.lower(), None
    if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        raise EndpointError(f"{url!r} is not a valid URL (port {port_text!r})", url=url)
    return host.lower(), int(port_text)
