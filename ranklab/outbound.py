"""Where requests the app makes on a lead's behalf may go: model endpoints, webhooks, and any
later service a lead points the app at (moderation, judges).

Such a request leaves from inside the deployment, so a URL naming the cloud metadata service
(169.254.169.254), localhost or a private network would let a lead reach what only the
servers should: the database, Redis, internal HTTP services. Every address a URL's host
resolves to must therefore be a public one, unless RANKLAB_OUTBOUND_ALLOW lists it: entries
are a host name (`model`), an address or network (`10.0.0.0/8`), each with an optional port
(`127.0.0.1:8001`, the embedded model of `make run`, allowed by default).

The check runs when a URL is saved and again before each request, since what a name
resolves to can change.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from ranklab.errors import RankLabError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(RankLabError):
    """A URL the outbound policy does not let the app request."""


def _entry(text: str) -> tuple[str, int | None]:
    text = text.strip().lower()
    if text.startswith("["):  # [::1]:8001
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else None
    if text.count(":") == 1:
        host, port = text.split(":")
        return host, int(port)
    return text, None


def _allowed(host: str, port: int, address: IPAddress) -> bool:
    for entry_host, entry_port in map(_entry, settings.RANKLAB_OUTBOUND_ALLOW):
        if entry_port is not None and entry_port != port:
            continue
        if entry_host == host:
            return True
        try:
            if address in ipaddress.ip_network(entry_host, strict=False):
                return True
        except ValueError:
            continue
    return False


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _addresses(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []  # a name that does not resolve reaches nothing; the request will say so
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]


def outbound_url_check(url: str, *, what: str = "This URL") -> None:
    """Raise OutboundRefused unless the app may send a request to `url`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(f"{what} must be an http:// or https:// URL with a host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise OutboundRefused(f"{what} has an invalid port.") from error
    host = parts.hostname.lower()
    for address in _addresses(host, port):
        if not _public(address) and not _allowed(host, port, address):
            raise OutboundRefused(
                f"{what} points at a loopback, private or link-local address ({host}), which this "
                "deployment does not send requests to; an operator can allow it with RANKLAB_OUTBOUND_ALLOW."
            )
