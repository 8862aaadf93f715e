"""Every NATS subject and JetStream stream name, in one place (SPEC BUS-1, DESIGN §5).

- `xueji.evt.<prov>.<aggregate>.<event>`: a province's integration events, captured by the
  stream `PROV_<prov>`, published by the node's outbox relay.
- `xueji.rpc.hub.<name>`: request/reply to the hub (never captured by a stream).
- `xueji.rpc.pop.<name>`: the population registry (its stand-in: `simulations/registry.py`).
"""

from __future__ import annotations

EVENT_PREFIX = "xueji.evt"
RPC_HUB_PREFIX = "xueji.rpc.hub"

#: The hub's near-real-time national dedup (REG-5): claim an identity for a registration.
HUB_IDENTITY_CLAIM = f"{RPC_HUB_PREFIX}.identity.claim"
#: The same for a chunk of an Excel import: many claims, one request, one hub transaction.
HUB_IDENTITY_CLAIM_BATCH = f"{RPC_HUB_PREFIX}.identity.claim_batch"

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

#: Cross-province cases (XPT, PGE): node → hub request/reply, one subject per command kind.
HUB_CASE_INITIATE = f"{RPC_HUB_PREFIX}.case.initiate"
HUB_CASE_DECIDE = f"{RPC_HUB_PREFIX}.case.decide"
HUB_CASE_ACT = f"{RPC_HUB_PREFIX}.case.act"
HUB_CASE_QUERY = f"{RPC_HUB_PREFIX}.case.query"
HUB_CASE_MONITOR = f"{RPC_HUB_PREFIX}.case.monitor"
#: QRY-4 national student query, asked by any node on behalf of its user.
HUB_NATIONAL_QUERY = f"{RPC_HUB_PREFIX}.national.query"
#: SYS-2: the calendar years the ministry entered (node → hub, CalendarYearsQuery).
HUB_CALENDAR_YEARS = f"{RPC_HUB_PREFIX}.calendar.years"

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
    return f"prov{province}"


def province_count_students(province: str) -> str:
    """QRY-6: the hub asks a province node for its student counts (`CountStudents`)."""
    return f"{RPC_PROV_PREFIX}.{province}.students.count"


#: Queue group of a province node's RPC subjects (several node processes could share them).
def province_queue(province: str) -> str:
    return f"prov{province}"
