"""The one way deliveries reach the network: an httpx client whose every connection checks the
addresses it goes to.

A subscription's URL is the integrator's to choose, so a delivery could be aimed at this
machine or its private network (the database, the cloud's metadata service). Unless
HOOKS_ALLOW_PRIVATE_NETWORKS is on, the host is resolved when the connection is opened, every
address it resolves to must be a public one, and the connection goes to one of those very
addresses: a name that resolves differently a moment later changes nothing. No proxy from the
environment, no redirects (Dintero counts a 3xx as a failure), and always a timeout.
"""

import ipaddress
import socket
import typing

import httpcore
import httpx
from django.conf import settings


class AddressRefused(httpcore.ConnectError):
    """The host resolves to an address deliveries may not go to."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refused_reason(host: str) -> str | None:
    """Why a URL's host may not be a delivery's target as written (a literal address of this
    machine or a private network), or None. Names are checked when a delivery connects."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return f"{host} is this machine"
    try:
        public = is_public(name)
    except ValueError:
        return None
    return None if public else f"{host} is a loopback, private or reserved address"


class CheckedBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        private = [a for a in addresses if not is_public(a)]
        if private:
            raise AddressRefused(
                f"{host} resolves to {', '.join(private)}: deliveries do not go to loopback or private "
                "addresses (HOOKS_ALLOW_PRIVATE_NETWORKS is off)"
            )
        error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"{host} has no address")


class CheckedTransport(httpx.HTTPTransport):
    def __init__(self, *, verify: bool, allow_private: bool) -> None:
        super().__init__(verify=verify, trust_env=False)
        if not allow_private:
            # As httpx builds its pool, with the checking backend in place of the plain one.
            self._pool = httpcore.ConnectionPool(
                ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
                max_connections=1,
                network_backend=CheckedBackend(),
            )


def hook_client(*, verify: bool = True) -> httpx.Client:
    timeout = settings.HOOKS_TIMEOUT_SECONDS
    return httpx.Client(
        transport=CheckedTransport(verify=verify, allow_private=settings.HOOKS_ALLOW_PRIVATE_NETWORKS),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )
