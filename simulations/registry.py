"""The population registry stand-in (国家人口基础信息库), a service of its own on the bus.

A real registry replaces it by answering `xueji.rpc.pop.authenticate` with the same
contract (`AuthenticateIdentity` → `IdentityAuthentication`), and
`xueji.rpc.pop.authenticate_batch` (`AuthenticateIdentities` → `IdentityAuthentications`)
for import chunks; nothing else knows it exists.
"""

from __future__ import annotations

from collections.abc import Iterable

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.commands import AuthenticateIdentities, AuthenticateIdentity
from contracts.envelope import decode
from contracts.replies import IdentityAuthentication, IdentityAuthentications
from simulations.population import Person, population
from xueji.bus import serve, serve_until_stopped
from xueji.logs import configure_logging, get_logger
from xueji.pki import TlsFiles

log = get_logger("simulations.registry")

PEOPLE_PER_PROVINCE = 20_000


class PopulationRegistry:
    def __init__(self, people: Iterable[Person]) -> None:
        self._by_id = {person.id_number: person for person in people}

    @classmethod
    def seeded(
        cls, provinces: list[str], per_province: int = PEOPLE_PER_PROVINCE
    ) -> PopulationRegistry:
        return cls(p for province in provinces for p in population(province, per_province))

    def __len__(self) -> int:
        return len(self._by_id)

    def add(self, person: Person) -> None:
        self._by_id[person.id_number] = person

    def authenticate(self, query: AuthenticateIdentity) -> IdentityAuthentication:
        person = self._by_id.get(query.id_number)
        if person is None:
            return IdentityAuthentication(outcome="not_found", reason="人口库中无此身份证号码")
        if person.name != query.name:
            return IdentityAuthentication(outcome="mismatch", reason="姓名与身份证号码不一致")
        return IdentityAuthentication(outcome="match")

    async def serve(self, nc: Client) -> None:
        async def handle(msg: Msg) -> IdentityAuthentication:
            return self.authenticate(decode(AuthenticateIdentity, msg.data))

        async def handle_batch(msg: Msg) -> IdentityAuthentications:
            batch = decode(AuthenticateIdentities, msg.data)
            return IdentityAuthentications(replies=[self.authenticate(q) for q in batch.items])

        await serve(nc, subjects.POP_AUTHENTICATE, subjects.POP_QUEUE, handle)
        await serve(nc, subjects.POP_AUTHENTICATE_BATCH, subjects.POP_QUEUE, handle_batch)


async def run(
    nats_url: str, provinces: list[str], per_province: int, tls: TlsFiles | None = None
) -> None:
    """`xueji registry`: serve until stopped."""
    configure_logging()
    registry = PopulationRegistry.seeded(provinces, per_province)
    log.info("registry_started", people=len(registry), provinces=provinces)
    await serve_until_stopped(nats_url, subjects.REGISTRY_CLIENT, [registry.serve], tls)
