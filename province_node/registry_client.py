"""The population registry 国家人口基础信息库 as the node asks it (REG-5 authentication)."""

from __future__ import annotations

import asyncio

from contracts import subjects
from contracts.commands import AuthenticateIdentities, AuthenticateIdentity
from contracts.meta import CommandMeta
from contracts.replies import IdentityAuthentication, IdentityAuthentications
from xueji.bus import Bus, BusUnavailable
from xueji.logs import get_logger

log = get_logger("province_node.registry_client")

PENDING_REASON = "人口库暂时无法访问，身份认证待完成"


def authentication_of(answer: IdentityAuthentication | None) -> tuple[str, str | None]:
    """The registration's authentication status and reason for the registry's answer
    (None: it could not be reached, the authentication stays pending)."""
    if answer is None:
        return "pending", PENDING_REASON
    return ("passed", None) if answer.outcome == "match" else ("failed", answer.reason)


class RegistryClient:
    """The population registry (REG-5 authentication); None when it cannot be reached."""

    def __init__(self, bus: Bus, timeout: float) -> None:
        self.bus, self.timeout = bus, timeout
        self.reachable = True
        #: Set when the registry answers again after it could not be reached: the retry of
        #: the authentications left pending meanwhile need not wait for its next pause.
        self.returned = asyncio.Event()

    def _answered(self) -> None:
        if not self.reachable:
            self.reachable = True
            self.returned.set()

    async def authenticate(
        self, id_number: str, name: str, meta: CommandMeta
    ) -> IdentityAuthentication | None:
        query = AuthenticateIdentity(envelope=meta.envelope(), id_number=id_number, name=name)
        try:
            answer = await self.bus.ask(
                subjects.POP_AUTHENTICATE, query, IdentityAuthentication, self.timeout
            )
        except BusUnavailable:
            log.warning("population_registry_unavailable")
            self.reachable = False
            return None
        self._answered()
        return answer

    async def authenticate_many(
        self, queries: list[tuple[str, str, CommandMeta]], meta: CommandMeta
    ) -> list[IdentityAuthentication | None]:
        """(id_number, name, row meta) per row, one request; a registry without the batch
        subject (or unreachable) is asked row by row, None where it cannot answer."""
        batch = AuthenticateIdentities(
            envelope=meta.envelope(),
            items=[
                AuthenticateIdentity(envelope=m.envelope(), id_number=i, name=n)
                for i, n, m in queries
            ],
        )
        try:
            reply = await self.bus.ask(
                subjects.POP_AUTHENTICATE_BATCH, batch, IdentityAuthentications, self.timeout
            )
        except BusUnavailable:
            return list(await asyncio.gather(*(self.authenticate(*q) for q in queries)))
        self._answered()
        return list(reply.replies)
