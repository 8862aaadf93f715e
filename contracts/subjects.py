"""Every NATS subject and JetStream stream name, in one place (SPEC BUS-1, DESIGN §5).

- `xueji.evt.<prov>.<aggregate>.<event>`: a province's integration events, captured by the
  stream `PROV_<prov>`, published by the node's outbox relay.
- `xueji.rpc.hub.<prov>.<name>`: request/reply to the hub (never captured by a stream),
  carrying the calling province: NATS lets a province use only its own (SEC-5, `grants`),
  and the hub takes the acting province from the subject, never from the body.
- `xueji.rpc.pop.<name>`: the population registry (its stand-in: `simulations/registry.py`).
- `xueji.rpc.prov.<prov>.<name>`: the hub asks a province node.
- `xueji.hub.out.<prov>.<notice>`: hub → province notices, stream `HUB_OUT`.
"""

from __future__ import annotations

from dataclasses import dataclass

EVENT_PREFIX = "xueji.evt"
RPC_HUB_PREFIX = "xueji.rpc.hub"

# The hub's RPC names; `hub_rpc(province, name)` is the subject a province asks on.

#: The hub's near-real-time national dedup (REG-5): claim an identity for a registration.
HUB_IDENTITY_CLAIM = "identity.claim"
#: The same for a chunk of an Excel import: many claims, one request, one hub transaction.
HUB_IDENTITY_CLAIM_BATCH = "identity.claim_batch"


def hub_rpc(province: str, name: str) -> str:
    """`xueji.rpc.hub.<province>.<name>`; the hub serves `hub_rpc("*", name)`."""
    return f"{RPC_HUB_PREFIX}.{province}.{name}"


def province_of_hub_rpc(subject: str) -> str:
    """The calling province of a hub RPC subject (its fourth token): the one NATS let
    through for that province's certificate."""
    return subject.split(".")[3]


RPC_POP_PREFIX = "xueji.rpc.pop"

#: The population registry stand-in (REG-5): authenticate a resident ID against a name.
POP_AUTHENTICATE = f"{RPC_POP_PREFIX}.authenticate"
#: The same for a chunk of an Excel import, answered item by item.
POP_AUTHENTICATE_BATCH = f"{RPC_POP_PREFIX}.authenticate_batch"
POP_QUEUE = "pop"

#: Deduplication window of every stream (DESIGN §5: explicit, at least one hour).
DUPLICATE_WINDOW_SECONDS = 2 * 3600

#: Queue group shared by hub instances answering RPC subjects.
HUB_QUEUE = "hub"

#: Durable consumer name the hub uses on every province stream.
HUB_DURABLE = "hub"


def province_stream(province: str) -> str:
    """The JetStream stream holding province `province`'s integration events."""
    return f"PROV_{province}"


def province_events(province: str) -> str:
    """Wildcard subject of every integration event of a province."""
    return f"{EVENT_PREFIX}.{province}.>"


def province_event(province: str, aggregate: str, event: str) -> str:
    """Subject of one integration event, e.g. `xueji.evt.44.student.registered`."""
    return f"{EVENT_PREFIX}.{province}.{aggregate}.{event}"


def claim_released(province: str) -> str:
    """REG-5/REG-9: a registration of `province` ended without a student (`IdentityReleased`)."""
    return province_event(province, "registration", "claim_released")


def province_of_event_subject(subject: str) -> str:
    """The province code an event subject belongs to (its third token)."""
    return subject.split(".")[2]


RPC_PRESCHOOL_PREFIX = "xueji.rpc.preschool"

#: The pre-school registry stand-in (REG-2): candidates for a child of the archive list.
PRESCHOOL_MATCH = f"{RPC_PRESCHOOL_PREFIX}.match"
PRESCHOOL_QUEUE = "preschool"

#: Cross-province cases (XPT, PGE): node → hub request/reply, one name per command kind.
HUB_CASE_INITIATE = "case.initiate"
HUB_CASE_DECIDE = "case.decide"
HUB_CASE_ACT = "case.act"
HUB_CASE_QUERY = "case.query"
HUB_CASE_MONITOR = "case.monitor"
#: QRY-4 national student query, asked by any node on behalf of its user.
HUB_NATIONAL_QUERY = "national.query"
#: SYS-2: the calendar years the ministry entered (node → hub, CalendarYearsQuery).
HUB_CALENDAR_YEARS = "calendar.years"
#: SYS-4: a province files a report, answers a form, publishes contacts; lists its forms.
HUB_COMPLAINT_ACT = "complaint.act"
HUB_COMPLAINT_QUERY = "complaint.query"

RPC_PROV_PREFIX = "xueji.rpc.prov"
PROV_QUEUE = "prov"

#: Hub → province work (stream `HUB_OUT`, one durable consumer per province).
HUB_OUT_STREAM = "HUB_OUT"
HUB_OUT_PREFIX = "xueji.hub.out"


def prov_case_prepare(province: str) -> str:
    """The hub asks a province node about the student of a new case (request/reply)."""
    return f"{RPC_PROV_PREFIX}.{province}.case.prepare"


def hub_out(province: str, notice: str) -> str:
    return f"{HUB_OUT_PREFIX}.{province}.{notice}"


def hub_out_for(province: str) -> str:
    """Every hub → `province` subject: the filter of that node's durable consumer."""
    return f"{HUB_OUT_PREFIX}.{province}.>"


def hub_out_durable(province: str) -> str:
    """The durable of `province` on `HUB_OUT`; the hub creates it, the node reads it."""
    return f"prov{province}"


#: A notice a node leaves unacked comes back after this long (the durable's `ack_wait`).
HUB_OUT_ACK_WAIT_SECONDS = 5.0


def province_count_students(province: str) -> str:
    """QRY-6: the hub asks a province node for its student counts (`CountStudents`)."""
    return f"{RPC_PROV_PREFIX}.{province}.students.count"


def prov_repair_republish(province: str) -> str:
    """BUS-6 repair: the hub asks a node to publish its log again (`RepublishFrom`)."""
    return f"{RPC_PROV_PREFIX}.{province}.repair.republish"


def prov_record_summary(province: str) -> str:
    """QRY-4: the hub asks the province of record about a student (`RecordSummaryQuery`)."""
    return f"{RPC_PROV_PREFIX}.{province}.students.summary"


def prov_claims_explain(province: str) -> str:
    """REG-5 reconciliation: the hub asks a node what its claims are for (`ExplainClaims`)."""
    return f"{RPC_PROV_PREFIX}.{province}.claims.explain"


def prov_claims_held(province: str) -> str:
    """REG-5 reconciliation: the hub pages through the claims a node holds (`ListHeldClaims`)."""
    return f"{RPC_PROV_PREFIX}.{province}.claims.held"


def prov_account_password_reset(province: str) -> str:
    """SEC-2 `[004 Q111]`: the ministry resets a province-level account's password
    (`ResetProvinceAccountPassword`); only the hub may publish on `xueji.rpc.prov.>`."""
    return f"{RPC_PROV_PREFIX}.{province}.account.password_reset"


#: Queue group of a province node's RPC subjects (several node processes could share them).
def province_queue(province: str) -> str:
    return f"prov{province}"


# --- who may use what (SEC-5): one NATS user per client certificate -------------------------

#: Client names: each is a certificate subject `CN=<name>` and a NATS user.
HUB_CLIENT = "hub"
REGISTRY_CLIENT = "registry"
PRESCHOOL_CLIENT = "preschool"


def province_client(province: str) -> str:
    return f"prov{province}"


def inbox_prefix(client: str) -> str:
    """Where a client's replies arrive: its own, so no one else can read them."""
    return f"_INBOX.{client}"


#: Where any client may publish answers: the inboxes (each client's has a random token).
REPLIES = "_INBOX.>"


@dataclass(frozen=True)
class Grants:
    """The subjects a client may publish to and subscribe to (NATS wildcards). Replies go
    only to inboxes (`REPLIES`): a request whose reply subject is anything else — e.g.
    `xueji.hub.out.44.…`, to make the hub "answer" into 44's notices — is answered into the
    void, the server refusing the answer."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


#: BUS-6: province messages the hub could not apply, with their reason (stream `DEAD_LETTERS`).
DEAD_LETTER_STREAM = "DEAD_LETTERS"
DEAD_LETTER_PREFIX = "xueji.dlq"


def dead_letter(province: str) -> str:
    return f"{DEAD_LETTER_PREFIX}.{province}"


def grants(client: str, provinces: list[str]) -> Grants:
    """What client `client` may do on a federation of `provinces`."""
    if client == HUB_CLIENT:
        return Grants(
            publish=(
                f"{HUB_OUT_PREFIX}.>",
                f"{DEAD_LETTER_PREFIX}.>",
                f"{RPC_PROV_PREFIX}.>",
                REPLIES,
                "$JS.API.>",  # the ministry runs the streams
                *(f"$JS.ACK.{province_stream(p)}.{HUB_DURABLE}.>" for p in provinces),
            ),
            subscribe=(f"{RPC_HUB_PREFIX}.>", f"{inbox_prefix(client)}.>"),
        )
    if client == REGISTRY_CLIENT:
        return Grants(publish=(REPLIES,), subscribe=(f"{RPC_POP_PREFIX}.>",))
    if client == PRESCHOOL_CLIENT:
        return Grants(publish=(REPLIES,), subscribe=(f"{RPC_PRESCHOOL_PREFIX}.>",))
    province = next((p for p in provinces if province_client(p) == client), None)
    if province is None:
        raise KeyError(f"unknown NATS client {client!r}")
    durable = hub_out_durable(province)
    consumer = f"{HUB_OUT_STREAM}.{durable}"
    return Grants(
        publish=(
            province_events(province),
            hub_rpc(province, ">"),
            REPLIES,
            f"{RPC_POP_PREFIX}.>",
            f"{RPC_PRESCHOOL_PREFIX}.>",
            # its own durable on HUB_OUT, which the hub created: looked up, read, acked
            f"$JS.API.CONSUMER.INFO.{consumer}",
            f"$JS.API.CONSUMER.MSG.NEXT.{consumer}",
            f"$JS.ACK.{consumer}.>",
        ),
        subscribe=(f"{RPC_PROV_PREFIX}.{province}.>", f"{inbox_prefix(client)}.>"),
    )


def clients(provinces: list[str]) -> list[str]:
    """Every client of a federation: the hub, each province node, the registry stand-ins."""
    return [HUB_CLIENT, *map(province_client, provinces), REGISTRY_CLIENT, PRESCHOOL_CLIENT]
