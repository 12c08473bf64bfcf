"""Which proxy a request goes through, and the CONNECT tunnel the sender opens there.

`route` decides from the proxy variables (consent/_core/names.py); the detached sender
(consent/_wire/sender.py) and `show-payload` (consent/_notice/preview.py) both call it, so what
`show-payload` says is what the sender does. The rules (docs/admin.md, "Proxies"):

- A loopback destination is never proxied (nor, so, plain http, which is loopback only): its
  traffic must not leave the machine.
- For https, the first of `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY` that is set
  decides; a value that is empty or blank names no proxy, and so sends nothing (fail closed:
  only an unset variable means a direct connection). `HTTP_PROXY` is never read.
- `no_proxy` (else `NO_PROXY`): entries separated by commas or spaces; `*` matches every host;
  `example.com` and `.example.com` match the name and every name under it; an IP address or a
  CIDR block matches addresses; `name:port` matches that port only; a malformed entry
  (`name:abc`, `[::1`) matches nothing.
- Only `http://` proxies (or `host:port`, read as http) are supported: the sender opens a
  CONNECT tunnel there and speaks TLS with the real host inside it. Any other scheme, or a
  value that is not a proxy URL, means nothing is sent (never a direct connection instead).

Credentials in the proxy URL (`http://user:pass@host:port`, percent-encoded) go only into the
CONNECT request's `Proxy-Authorization: Basic` header; everything printed or logged shows the
proxy as `Proxy.shown`, with the credentials masked.

Stdlib only, and light: the sender imports this module, never the host (the gate copies the
variables into the job without reading them).
"""

from __future__ import annotations

from consent._core.names import HTTPS_PROXY_VARIABLES, NO_PROXY_VARIABLES
from consent._core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Mapping

# The only proxy scheme the sender speaks; `host:port` without a scheme is read as this one.
SUPPORTED_SCHEME = "http"
# The port of `http://host` without one (as urllib, requests and Go; curl assumes 1080).
DEFAULT_PROXY_PORT = 80
# The proxy's answer to CONNECT is read up to its blank line, and no further than this.
MAX_ANSWER = 8192
MASK = "****"


class Proxy(Record):
    host: str
    port: int
    username: str  # percent-decoded, one character per byte (latin-1)
    password: str
    variable: str  # the variable that named it

    @property
    def shown(self) -> str:
        """The proxy as printed and logged: its credentials masked, never shown."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        creds = f"{MASK}@" if self.username or self.password else ""
        return f"{SUPPORTED_SCHEME}://{creds}{host}:{self.port}"

    def connect_request(self, host: str, port: int) -> bytes:
        """The CONNECT request for a tunnel to `host:port`: the request line, Host and, when
        the proxy URL carries credentials, Proxy-Authorization; nothing else."""
        authority = _authority(host, port)
        head = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        if self.username or self.password:
            import base64

            pair = f"{self.username}:{self.password}".encode("latin-1")
            head += f"Proxy-Authorization: Basic {base64.b64encode(pair).decode('ascii')}\r\n"
        return head.encode("latin-1") + b"\r\n"


class Route(Record):
    """How one request would leave: `proxy` (None: directly), why, or why not at all."""

    proxy: Proxy | None
    why: str  # which variable or rule decided
    refused: str = ""  # set: nothing may be sent, and this says why

    def describe(self, host: str, port: int) -> str:
        """One line for show-payload, the debug output and the docs: never a credential."""
        if self.refused:
            return f"nowhere: nothing would be sent: {self.refused}"
        if self.proxy is None:
            return f"directly to {_authority(host, port)} ({self.why})"
        return (
            f"through the proxy {self.proxy.shown} ({self.why}): CONNECT {_authority(host, port)}"
        )


def route(scheme: str, host: str, port: int, environ: Mapping[str, str]) -> Route:
    """The route of a request to `scheme://host:port` under the proxy variables in `environ`."""
    from consent._core.endpoint import is_loopback

    if scheme != "https" or is_loopback(host):  # plain http is loopback only (parse_endpoint)
        return Route(None, "a loopback address never goes through a proxy")
    variable = next((v for v in HTTPS_PROXY_VARIABLES if v in environ), "")
    if not variable:
        return Route(None, "no proxy variable is set")
    bypass = next((v for v in NO_PROXY_VARIABLES if v in environ), "")
    if bypass:
        entry = bypassed(environ[bypass], host, port)
        if entry is not None:
            return Route(None, f"{bypass} lists {entry!r}")
    proxy = parse_proxy(variable, environ[variable])
    if isinstance(proxy, str):
        return Route(None, f"from {variable}", refused=proxy)
    return Route(proxy, f"from {variable}")


def parse_proxy(variable: str, value: str) -> Proxy | str:
    """The proxy named by `value`, or why it cannot be used. The reason names the variable,
    never its value (which may hold a password)."""
    usage = f"{variable} is not a proxy URL the sender can use (http://[user:password@]host:port)"
    text = value.strip()
    if not text:
        # Set, yet naming no proxy: whoever set it may mean "no proxy" or may have lost the
        # value; only a proxy variable that is unset lets the sender connect directly.
        return f"{variable} is set but empty: unset it to connect directly"
    if not text.isascii() or not text.isprintable() or " " in text:
        return usage
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = SUPPORTED_SCHEME, text
    scheme = scheme.lower()
    if scheme != SUPPORTED_SCHEME:
        if not scheme.replace("+", "").replace("-", "").replace(".", "").isalnum():
            return usage
        return f"{variable} names a {scheme}:// proxy, and the sender supports only http:// proxies"
    netloc, _, path = rest.partition("/")
    if path or any(c in netloc for c in "?#\\/"):
        return usage
    userinfo, at, hostport = netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    host, port = _host_port(hostport)
    if not host or port is None or (at and not (user or password)):
        return usage
    return Proxy(host, port, _unquote(user), _unquote(password), variable)


def _host_port(text: str) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]` or `[v6]:port`: ("", None) when malformed."""
    if text.startswith("["):
        close = text.find("]")
        host, after = text[1:close], text[close + 1 :]
        if close < 0 or ":" not in host or (after and not after.startswith(":")):
            return "", None
        port_text = after[1:]
    else:
        host, _, port_text = text.partition(":")
        if ":" in port_text or not all(c.isalnum() or c in "-._" for c in host):
            return "", None
    if not port_text:
        return host.lower(), DEFAULT_PROXY_PORT
    if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
        return "", None
    return host.lower(), int(port_text)


def _unquote(text: str) -> str:
    """Percent-decoding, byte for byte (as urllib.parse.unquote_to_bytes), as latin-1 text."""
    data = text.encode("ascii")
    out = bytearray()
    i = 0
    while i < len(data):
        pair = data[i + 1 : i + 3]
        if data[i] == 0x25 and len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair):
            out.append(int(pair, 16))
            i += 3
        else:
            out.append(data[i])
            i += 1
    return out.decode("latin-1")


def bypassed(no_proxy: str, host: str, port: int) -> str | None:
    """The entry of a NO_PROXY list that matches `host:port`, or None."""
    host = host.lower().rstrip(".")
    for raw in no_proxy.replace(",", " ").split():
        entry = raw.lower()
        if entry == "*":
            return raw
        name, entry_port = _entry(entry)
        if name is None or (entry_port is not None and entry_port != port):
            continue  # a malformed entry (`host:abc`, `[::1`) matches nothing
        if "/" in name:
            if _in_block(name, host):
                return raw
            continue
        if name.startswith("*."):  # a common spelling of `.example.com`
            name = name[1:]
        name = name.strip(".")
        if name and (host == name or host.endswith("." + name) or _same_address(name, host)):
            return raw
    return None


def _entry(entry: str) -> tuple[str | None, int | None]:
    """A NO_PROXY entry's name (or address, or block) and its port, if it names one; the name
    is None when the entry is malformed: a port that is not a number from 1 to 65535, an
    unclosed bracket, something after the bracket but a port. A bare IPv6 address (several
    colons, no brackets) has no port, as curl reads it."""
    if entry.startswith("["):
        close = entry.find("]")
        name, after = entry[1:close], entry[close + 1 :]
        if close < 0 or (after and not after.startswith(":")):
            return None, None
        port = after[1:] if after else None
    elif entry.count(":") == 1:
        name, _, port = entry.partition(":")
    else:
        return entry, None
    if port is None:
        return name, None
    if not (port.isascii() and port.isdigit() and 0 < int(port) <= 65535):
        return None, None
    return name, int(port)


def _same_address(entry: str, host: str) -> bool:
    """Two spellings of one IPv6 address (`::1`, `0:0::1`)."""
    if ":" not in entry or ":" not in host:
        return False
    import ipaddress

    try:
        return ipaddress.ip_address(entry) == ipaddress.ip_address(host)
    except ValueError:
        return False


def _in_block(block: str, host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(block, strict=False)
    except ValueError:  # a name, or not a block: no match
        return False


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class ProxyError(ConnectionError):
    """The proxy did not open the tunnel; the message names it as `Proxy.shown` does."""


def open_tunnel(
    sock: socket.socket, proxy: Proxy, host: str, port: int, left: Callable[[], float]
) -> None:
    """Ask the proxy on `sock` for a tunnel to `host:port` and read its answer, each step within
    the sender's one deadline (`left()` raises once it has passed). Returns once the tunnel is
    open: the next byte on `sock` goes to `host`. Raises ProxyError otherwise."""
    sock.settimeout(left())
    sock.sendall(proxy.connect_request(host, port))
    answer = b""
    while b"\r\n\r\n" not in answer:
        if len(answer) >= MAX_ANSWER:
            raise ProxyError(
                f"the proxy {proxy.shown} answered CONNECT with over {MAX_ANSWER} bytes"
            )
        sock.settimeout(left())
        chunk = sock.recv(MAX_ANSWER - len(answer))
        if not chunk:
            raise ProxyError(f"the proxy {proxy.shown} closed the connection before answering")
        answer += chunk
    head, _, early = answer.partition(b"\r\n\r\n")
    parts = head.split(b"\r\n", 1)[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ProxyError(f"the proxy {proxy.shown} did not answer CONNECT in HTTP")
    status = int(parts[1])
    if status == 407:
        asked = "refused the credentials" if proxy.username else "asks for credentials"
        raise ProxyError(f"the proxy {proxy.shown} {asked} (HTTP 407)")
    if not 200 <= status < 300:
        raise ProxyError(f"the proxy {proxy.shown} refused the tunnel (HTTP {status})")
    if early:  # nothing may come before our own first byte through the tunnel
        raise ProxyError(f"the proxy {proxy.shown} sent data before the tunnel was open")
