"""NATS connection, request/reply and JetStream helpers shared by the hub and the nodes.

The connection is made in the background and retried forever: a node keeps serving local
business while NATS is down (DESIGN §2) and its hooks run once the link is up. With `tls`
(SEC-5, `xueji/pki.py`) it is TLS with the client's certificate; the server maps the
certificate to the client's NATS user, whose replies arrive under its own inbox prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

import nats
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
from nats.js.errors import BadRequestError
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

from contracts.envelope import decode
from contracts.errors import ContractError, DomainError, http_status
from contracts.replies import BusError, ErrorReply
from contracts.subjects import DUPLICATE_WINDOW_SECONDS, REPLIES, inbox_prefix
from xueji.lifecycle import stop_tasks
from xueji.logs import get_logger
from xueji.pki import TlsFiles
from xueji.telemetry import context_from, trace_headers, tracer

log = get_logger("xueji.bus")
INBOXES = REPLIES.removesuffix(">")  # "_INBOX."

Handler = Callable[[Msg], Awaitable[BaseModel]]
Hook = Callable[[Client], Awaitable[None]]
R = TypeVar("R", bound=BaseModel)


class BusUnavailable(Exception):
    """NATS or the service answering a subject cannot be reached right now."""


class RemoteError(Exception):
    """The service answered with a typed error reply (`{"error": {...}}`)."""

    def __init__(self, error: BusError) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.code, self.field, self.message = error.code, error.field, error.message
        self.status = error.status


class Bus:
    """`name` is the client's name: its certificate's subject `CN=<name>` and NATS user."""

    def __init__(
        self,
        url: str,
        name: str,
        on_connect: list[Hook] | None = None,
        tls: TlsFiles | None = None,
    ) -> None:
        self.url = url
        self.name = name
        self.tls = tls
        self.nc: Client | None = None
        self._hooks = list(on_connect or [])
        self._task: asyncio.Task | None = None
        self.ready = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.ready.is_set() and self.nc is not None and self.nc.is_connected

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name=f"bus-{self.name}")

    async def _connect_forever(self) -> None:
        while True:
            try:
                self.nc = await connect(self.url, self.name, self.tls)
                break
            except Exception as exc:  # noqa: BLE001 - any failure means "try again later"
                log.warning("nats_connect_failed", url=self.url, error=str(exc))
                await asyncio.sleep(1)
        for hook in self._hooks:
            await self._run_hook(hook)
        self.ready.set()
        log.info("nats_connected", url=self.url)

    async def _run_hook(self, hook: Hook) -> None:
        """Runs one hook until it succeeds: a JetStream API call may time out on a loaded
        box or while the server restarts, and a hook that gave up would leave the bus never
        ready. Hooks are idempotent up to their last step (declare, then subscribe)."""
        for attempt in itertools.count(1):
            try:
                await hook(self.nc)
                return
            except Exception as exc:  # noqa: BLE001 - try again; the cause is logged
                log.warning("nats_hook_failed", client=self.name, attempt=attempt, error=repr(exc))
                await asyncio.sleep(min(attempt, 5))

    async def close(self) -> None:
        if self._task is not None:
            await stop_tasks([self._task])
        if self.nc is None or self.nc.is_closed:
            return
        await settle(self.nc)
        try:
            await asyncio.wait_for(self.nc.drain(), timeout=5)
        except Exception:  # noqa: BLE001 - not connected (NATS gone first), or slow: close
            await self.nc.close()

    async def ask(self, subject: str, message: BaseModel, reply: type[R], timeout: float) -> R:
        """Request/reply with typed answer; raises BusUnavailable or RemoteError."""
        data = await self.request(subject, message, timeout)
        payload = json.loads(data)
        if isinstance(payload, dict) and "error" in payload:
            raise RemoteError(decode(ErrorReply, data).error)
        return decode(reply, data)

    async def request(self, subject: str, message: BaseModel, timeout: float) -> bytes:
        """Sends a request with the current trace context; raises BusUnavailable."""
        if not self.connected:
            raise BusUnavailable(f"NATS is not connected ({self.url})")
        try:
            reply = await self.nc.request(
                subject,
                message.model_dump_json().encode(),
                timeout=timeout,
                headers=trace_headers(),
            )
        except (NoRespondersError, TimeoutError) as exc:
            raise BusUnavailable(f"no answer on {subject}: {type(exc).__name__}") from None
        return reply.data


async def connect(url: str, name: str, tls: TlsFiles | None, **options: object) -> Client:
    """A NATS connection as client `name` (reconnecting forever unless told otherwise)."""

    async def on_error(exc: Exception) -> None:  # e.g. a permissions violation (SEC-5)
        log.warning("nats_error", client=name, error=str(exc))

    settings: dict = {
        "name": name,
        "connect_timeout": 2,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 0.5,
        "allow_reconnect": True,
        "inbox_prefix": inbox_prefix(name),
        "error_cb": on_error,
    }
    if tls is not None:
        settings["tls"] = tls.client_context()
    servers = [u.strip() for u in url.split(",") if u.strip()]  # a cluster: `nats://a,nats://b`
    return await nats.connect(servers, **(settings | options))


#: RPC requests of one subscription answered at a time (issue 17 item 5): a slow one (a
#: question to another province, a large batch) holds up no others; beyond this many the
#: subscription waits, and the rest queue in the client's pending buffer.
RPC_CONCURRENCY = 16
#: The answers still running per connection: `settle` waits for them before a drain.
_RUNNING: weakref.WeakKeyDictionary[Client, set[asyncio.Task]] = weakref.WeakKeyDictionary()


async def serve(
    nc: Client, subject: str, queue: str, handler: Handler, concurrency: int = RPC_CONCURRENCY
) -> None:
    """Answers `subject` with `handler`; bad input becomes a typed error reply, never a crash.

    Up to `concurrency` requests are answered at once, each in its own task; commands stay
    idempotent by their command id and their writes are serialised by the store's writer
    thread (DESIGN §3), so their order among themselves does not matter.

    Answers go only to inboxes: a requester naming another subject as its reply (say
    `xueji.hub.out.44.…`, which the hub may publish to) gets nothing, and the server would
    refuse the others (`contracts.subjects.REPLIES`)."""
    slots = asyncio.Semaphore(concurrency)
    running = _RUNNING.setdefault(nc, set())

    async def answer(msg: Msg) -> None:
        try:
            structlog.contextvars.clear_contextvars()  # a copy of the dispatcher's: start clean
            with tracer().start_as_current_span(
                f"rpc {subject}", context=context_from(msg.headers), kind=SpanKind.SERVER
            ):
                reply = await _answer(handler, msg)
                if not msg.reply.startswith(INBOXES):  # SEC-5: never answer into a stream
                    log.warning("rpc_reply_subject_refused", subject=msg.subject, reply=msg.reply)
                    return
                await msg.respond(reply.model_dump_json(exclude_none=True).encode())
        except Exception as exc:  # noqa: BLE001 - the connection closed under the answer
            log.warning("rpc_reply_failed", subject=msg.subject, error=repr(exc))
        finally:
            slots.release()

    async def on_message(msg: Msg) -> None:
        await slots.acquire()  # the bound: the subscription's next message waits for a slot
        task = asyncio.create_task(answer(msg), name=f"rpc {subject}")
        running.add(task)
        task.add_done_callback(running.discard)

    await nc.subscribe(subject, queue=queue, cb=on_message)


async def settle(nc: Client, timeout: float = 5.0) -> None:
    """Waits (a while) for the answers still running on `nc`, e.g. before draining it."""
    running = list(_RUNNING.get(nc, ()))
    if running:
        await asyncio.wait(running, timeout=timeout)


async def _answer(handler: Handler, msg: Msg) -> BaseModel:
    try:
        return await handler(msg)
    except ContractError as exc:
        log.warning("rpc_bad_message", subject=msg.subject, field=exc.field, code=exc.code)
        error = BusError(code=exc.code, field=exc.field, message=exc.message, status=422)
        return ErrorReply(error=error)
    except DomainError as exc:
        log.info("rpc_refused", subject=msg.subject, code=exc.code)
        status = http_status(exc)
        error = BusError(code=exc.code, field=exc.field, message=exc.message, status=status)
        return ErrorReply(error=error)
    except Exception:
        log.exception("rpc_handler_failed", subject=msg.subject)
        return ErrorReply(error=BusError(code="internal_error", message="服务内部错误，请稍后重试"))


async def ensure_stream(nc: Client, name: str, subjects: list[str], replicas: int = 1) -> None:
    """Creates the stream, or brings an existing one to this configuration; `replicas` > 1
    on a JetStream cluster (3 in production: a server lost loses nothing acknowledged)."""
    config = StreamConfig(name=name, subjects=subjects, num_replicas=replicas,
                          duplicate_window=DUPLICATE_WINDOW_SECONDS)  # fmt: skip
    js = nc.jetstream()
    try:
        await js.add_stream(config)
    except BadRequestError:
        await js.update_stream(config)


BatchHandler = Callable[[list[Msg]], Awaitable[None]]
#: A durable whose fetches fail this many times in a row on a live connection is lost.
FETCH_FAILURES_BEFORE_RESTART = 5


class FollowerLost(Exception):
    """A durable consumer cannot be read although NATS is up: to be declared again."""


async def follow_durable(
    nc: Client,
    stream: str,
    subject: str,
    durable: str,
    handle: BatchHandler,
    batch: int = 100,
    ack_wait: float = 5.0,
) -> None:
    """Feeds batches of a durable pull consumer to `handle` until cancelled (BUS-4).

    Acks are `handle`'s: a message it leaves unacked comes back after `ack_wait`. A handler
    that raises (the store failed) is logged and the loop goes on after a pause. The durable
    is created if missing — by a client allowed to (the hub); a province's node may only
    bind to the one the hub made for it (SEC-5) and waits for it.

    While NATS is away the loop waits for the client to reconnect. Fetches that keep
    failing on a live connection (the durable or its stream deleted, say after the server
    lost its store) raise `FollowerLost`: the task's supervisor starts it again, and the new
    run declares what is missing (`xueji.lifecycle.Supervisor`).
    """
    config = durable_config(durable, subject, ack_wait)
    sub = await _pull_subscribe(nc, stream, subject, durable, config)
    failures = 0
    try:
        while True:
            try:
                messages = await sub.fetch(batch=batch, timeout=1)
                failures = 0
            except TimeoutError:  # nats-py raises its own or the builtin one: no news
                failures = 0
                continue
            except Exception as exc:  # noqa: BLE001 - NATS away: wait, the client reconnects
                if nc.is_closed:  # closed for good (the service stopping): nothing to wait for
                    return
                failures = failures + 1 if nc.is_connected else 0
                log.warning("fetch_failed", stream=stream, durable=durable, error=str(exc))
                if failures >= FETCH_FAILURES_BEFORE_RESTART:
                    raise FollowerLost(f"{stream}/{durable}: {exc!r}") from exc
                await asyncio.sleep(1)
                continue
            try:
                await handle(messages)
            except Exception:  # unacked messages come back after ack_wait
                log.exception("consume_failed", stream=stream, durable=durable)
                await asyncio.sleep(1)
    finally:  # a pending fetch would hold up the connection's drain at shutdown
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


async def consumer_lag(
    nc: Client | None, stream: str, durable: str, timeout: float = 1.0
) -> dict | None:
    """For `/healthz`: how far a durable is behind — messages not delivered yet (`pending`)
    and delivered but not acknowledged (`unacked`); None when NATS cannot tell right now."""
    if nc is None or not nc.is_connected:
        return None
    try:
        info = await asyncio.wait_for(nc.jetstream().consumer_info(stream, durable), timeout)
    except Exception:  # noqa: BLE001 - not declared yet, NATS slow or away: unknown
        return None
    return {"pending": info.num_pending, "unacked": info.num_ack_pending}


def durable_config(durable: str, subject: str, ack_wait: float) -> ConsumerConfig:
    """A durable pull consumer of `subject`, explicit acks, from the stream's start."""
    return ConsumerConfig(
        name=durable,
        durable_name=durable,
        filter_subject=subject,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=-1,
    )


async def ensure_durable(
    nc: Client, stream: str, subject: str, durable: str, ack_wait: float
) -> None:
    """Creates the durable pull consumer another client will read (the hub makes each
    province's on `HUB_OUT`: a province that could create consumers could also make one
    push its messages to any subject). One that exists already is kept as it is."""
    try:
        await nc.jetstream().add_consumer(stream, durable_config(durable, subject, ack_wait))
    except BadRequestError as exc:  # exists with another configuration: keep it
        log.warning("durable_kept", stream=stream, durable=durable, error=str(exc))


async def _pull_subscribe(
    nc: Client, stream: str, subject: str, durable: str, config: ConsumerConfig
):
    """The durable's subscription, once its stream and durable exist: their owner declares
    them (the hub, for `HUB_OUT`), perhaps after this client connected."""
    for attempt in itertools.count():
        try:
            return await nc.jetstream().pull_subscribe(
                subject, durable=durable, stream=stream, config=config
            )
        except Exception as exc:  # noqa: BLE001 - not declared yet, NATS away: try again
            if attempt % 30 == 0:
                log.warning("subscribe_waiting", stream=stream, durable=durable, error=str(exc))
            await asyncio.sleep(1)


async def serve_until_stopped(
    url: str, name: str, on_connect: list[Hook], tls: TlsFiles | None = None
) -> None:
    """Runs a bus-only service (the registry stand-ins) until its task is cancelled."""
    bus = Bus(url, name, on_connect=on_connect, tls=tls)
    bus.start()
    try:
        await asyncio.Event().wait()
    finally:
        await bus.close()
