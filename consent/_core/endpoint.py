"""An endpoint URL, parsed and checked: https, or plain http on a loopback address only.

Pure: the override variable, an admin policy's managed `endpoint` and the app's destination
all go through `parse_endpoint`, so one rule decides what a hit may be sent to. The store
checks a policy's endpoint with it while reading (a bad one locks), the wire when it encodes.
"""

from __future__ import annotations

from consent._core.value import Record
from consent._errors import EndpointError

__all__ = ["Endpoint", "ipv4_number", "is_loopback", "parse_endpoint"]


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


# The names of this machine that need no lookup: `localhost`, also written as the absolute name.
LOCALHOST = ("localhost", "localhost.")


def resolver_name(host: str) -> str:
    """The name to hand the resolver for `host`: `localhost.` as `localhost`. The hosts file
    answers `localhost`; the absolute name misses it and goes to DNS, which may answer with any
    address (or none), so a host `is_loopback` accepts would not be this machine."""
    return host[:-1] if host.lower() == "localhost." else host


def is_loopback(host: str) -> bool:
    """Is `host` this machine, in a spelling the system resolver reads as a loopback address
    without asking anyone: `localhost` (or `localhost.`, asked for as `localhost`:
    `resolver_name`), an IPv4 address in 127.0.0.0/8 in any
    form inet_aton reads (`127.1`, `0177.0.0.1`, `0x7f.0.0.1`, `2130706433`), `::1` in any IPv6
    form, and an IPv4-mapped one (`::ffff:127.0.0.1`, `::ffff:7f00:1`). Nothing else: a form the
    resolver does not read as an address (`127.0.0.08`, `127.0.0.1.`) is a name, which a DNS
    server may answer with any address."""
    name = host.lower()
    if name in LOCALHOST:
        return True
    number = ipv4_number(name)
    if number is not None:
        return number >> 24 == 127
    if ":" not in name or "%" in name:  # a zone (`::1%lo`) is not a numeric host to getaddrinfo
        return False
    import ipaddress  # the IPv6 forms

    try:
        address = ipaddress.IPv6Address(name)
    except ValueError:
        return False
    mapped = address.ipv4_mapped
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


_HEX = frozenset("0123456789abcdef")
_OCTAL = frozenset("01234567")
_DECIMAL = frozenset("0123456789")


def ipv4_number(text: str) -> int | None:
    """The IPv4 address `text` spells for inet_aton (and so for getaddrinfo), as a 32-bit
    number; None when it spells none. One to four parts separated by dots, each decimal, octal
    (a leading 0) or hex (0x); the last part fills the bytes the others leave."""
    parts = text.split(".")
    if len(parts) > 4:
        return None
    values = []
    for part in parts:
        if part[:2] in ("0x", "0X"):
            digits, base, allowed = part[2:], 16, _HEX
        elif part[:1] == "0":
            digits, base, allowed = part, 8, _OCTAL
        else:
            digits, base, allowed = part, 10, _DECIMAL
        if not digits or not allowed.issuperset(digits.lower()):
            return None
        values.append(int(digits, base))
    *head, last = values
    if any(v > 255 for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = last
    for i, v in enumerate(head):
        number |= v << (8 * (3 - i))
    return number


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
