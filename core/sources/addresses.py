"""Which addresses feeds may reach: only public ones, unless an allow-list says otherwise.

A feed URL, and each redirect a feed server answers with, could point at the machine itself, the
private network or a cloud metadata service (169.254.169.254) and turn the fetcher into a way in.
So every connection resolves its host first and is refused when any of its addresses is loopback,
private, link-local or otherwise not global, unless the host or a network holding the address is
allowed (``AddressPolicy``, from ``AIDAILY_FETCH_ALLOW_PRIVATE``). The connection then goes to an
address that was checked, never to the name resolved once more: a name answering with a public
address for the check and an internal one for the connection gains nothing.

``GuardedBackend`` does this as httpcore's network backend, where every connection is opened.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore

_HOSTNAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*")


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which non-public addresses feeds may reach anyway: named hosts, and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[str]) -> AddressPolicy:
        """From entries such as ``feeds.intranet``, ``10.1.2.3`` or ``192.168.0.0/16``.

        Raises ValueError naming an entry that is neither a host name nor an address or network.
        """
        hosts, networks = set(), []
        for entry in (e.strip().lower().rstrip(".") for e in entries):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                if "/" in entry or not _HOSTNAME.fullmatch(entry):
                    raise ValueError(
                        f"{entry!r} is neither a host name nor an IP address or network"
                    ) from None
                hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``host`` may not be reached at ``address``, or None if it may."""
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") aside
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
        if (ip.is_global and not ip.is_multicast) or host.lower().rstrip(".") in self.hosts:
            return None
        if any(ip in network for network in self.networks):
            return None
        return _kind_of(ip)


def allow_list(text: str) -> tuple[str, ...]:
    """The entries of an allow-list setting (comma or space separated), each checked by
    ``AddressPolicy.of``."""
    entries = tuple(e.lower().rstrip(".") for e in re.split(r"[\s,]+", text) if e)
    AddressPolicy.of(entries)
    return entries


def _kind_of(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    for kind in ("loopback", "link_local", "private", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"a {kind.replace('_', '-')} address"
    return "not a public address"


class Refused(Exception):
    """A connection the policy does not allow; its message says which host, address and why."""

    def __init__(self, host: str, address: str, why: str) -> None:
        super().__init__(f"{host} is {why}" if host == address else f"{host} resolves to {address}, {why}")
        self.host = host


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving and checking each host before connecting to it."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, policy: AddressPolicy) -> None:
        self._inner, self._policy = inner, policy

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port, timeout)
        for address in addresses:  # every one: a name with one internal address is refused
            why = self._policy.refusal(host, address)
            if why:
                raise Refused(host, address, why)
        failure: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:  # the checked address, not the name resolved once more
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("feeds are fetched over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses of ``host``, in the resolver's order, without repeats."""
    try:
        async with asyncio.timeout(timeout):
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
