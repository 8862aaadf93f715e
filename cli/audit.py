"""`xueji verify-log` (AUD-4) and `xueji audit …` (AUD-5): read a store directly, offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

audit_app = typer.Typer(help="Who did what, when, why — from the event log alone (AUD-5)")

Url = Annotated[str, typer.Option(help="Store URL (sqlite:///… or postgresql://…) or a path")]
App = Annotated[str | None, typer.Option(help="provNN or hub; needed if the store holds several")]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]
From = Annotated[str | None, typer.Option("--from", help="ISO date/time, inclusive (Beijing)")]
To = Annotated[str | None, typer.Option("--to", help="ISO date/time, exclusive (Beijing)")]
Type = Annotated[str | None, typer.Option("--type", help="Substring of the event type")]
Via = Annotated[
    str | None,
    typer.Option(help="Only relations through this field, e.g. out_side: the school a case leaves"),
]


def store_url(value: str) -> str:
    return value if "://" in value else f"sqlite:///{Path(value).resolve()}"


def verify_log(
    url: Url,
    app: App = None,
    hub_url: Annotated[
        str | None, typer.Option(help="The hub's store: compare with the heads it recorded")
    ] = None,
    hub_head: Annotated[
        str | None,
        typer.Option(help="<notification id>:<hash> as the hub's /national/chain-heads gives"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Walk the hash chain (AUD-4); name the first broken link. Exit 0 intact, 1 broken."""
    from xueji.eventlog import StoreNotFound
    from xueji.verify import HubHead, describe
    from xueji.verify import verify_log as verify

    head = None
    if hub_head:
        notification_id, _, digest = hub_head.partition(":")
        if not notification_id.isdigit() or len(digest) != 64:
            raise typer.BadParameter(
                "expected <notification id>:<64 hex digits>", param_hint="--hub-head"
            )
        head = HubHead("given", int(notification_id), digest.lower(), 0)
    try:
        verdict = verify(store_url(url), app, store_url(hub_url) if hub_url else None, head)
    except StoreNotFound as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(verdict.as_dict(), ensure_ascii=False) if as_json else describe(verdict))
    raise typer.Exit(0 if verdict.intact else 1)


def _given_head(value: str):  # -> xueji.verify.HubHead, imported late like the rest
    from xueji.verify import HubHead

    notification_id, _, digest = value.partition(":")
    if not notification_id.isdigit() or len(digest) != 64:
        hint = "expected <notification id>:<64 hex digits>"
        raise typer.BadParameter(hint, param_hint="--hub-head")
    return HubHead("given", int(notification_id), digest.lower(), 0)


def _run(kind: str, key: str, url: str, app: str | None, start, end, type_, as_json, via=None):
    from xueji.audit import Query, as_text, investigate, parse_time
    from xueji.audit import as_json as to_json
    from xueji.eventlog import StoreNotFound, open_recorder, read_log

    try:
        window = [parse_time(t) if t else None for t in (start, end)]
    except ValueError as error:
        raise typer.BadParameter(f"--from/--to: {error}") from None
    query = Query(kind, key, *window, type=type_, via=via)  # type: ignore[arg-type]
    try:
        _, recorder = open_recorder(store_url(url), app)
    except StoreNotFound as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    lines = list(investigate(lambda: read_log(recorder), query))
    if as_json:
        typer.echo(json.dumps(to_json(lines, query), ensure_ascii=False, indent=1))
        return
    for line in lines:
        typer.echo(as_text(line))
    typer.echo(f"— {len(lines)} events", err=True)


@audit_app.command()
def student(
    number: str, url: Url, app: App = None, start: From = None, to: To = None, type_: Type = None,
    via: Via = None, as_json: Json = False,
) -> None:  # fmt: skip
    """Every event about one student (by national student number)."""
    _run("student", number, url, app, start, to, type_, as_json, via)


@audit_app.command()
def reads(
    number: str, url: Url, app: App = None, start: From = None, to: To = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Who read one student's record, history, or looked the child up (the read audit)."""
    _run("student", number, url, app, start, to, "RecordRead", as_json)


@audit_app.command()
def school(
    code: str, url: Url, app: App = None, start: From = None, to: To = None, type_: Type = None,
    via: Via = None, as_json: Json = False,
) -> None:  # fmt: skip
    """Every event about a school's registrations, students and cases, e.g. who approved
    transfers out of it in March: `--type Decided --via out_side --from … --to …`."""
    _run("school", code, url, app, start, to, type_, as_json, via)


@audit_app.command()
def unit(
    code: str, url: Url, app: App = None, start: From = None, to: To = None, type_: Type = None,
    as_json: Json = False,
) -> None:  # fmt: skip
    """Every event whose actor acted for this unit (e.g. the county's decisions in March)."""
    _run("unit", code, url, app, start, to, type_, as_json)


@audit_app.command()
def record(
    number: str,
    url: Url,
    as_of: Annotated[str, typer.Option("--as-of", help="ISO date/time (Beijing if no zone)")],
    app: App = None,
) -> None:
    """AUD-2: a student's record as it was at a moment, replayed from a node's store (JSON)."""
    from contracts.errors import NotFound
    from province_node.application import ProvinceNode
    from xueji.audit import parse_time
    from xueji.eventlog import StoreNotFound, open_recorder
    from xueji.store import store_env

    try:
        at = parse_time(as_of)
        name, _ = open_recorder(store_url(url), app)
    except (ValueError, StoreNotFound) as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    env = {**store_env(store_url(url)), "CREATE_TABLE": "n"}
    node = ProvinceNode(name.removeprefix("prov"), env)
    try:
        typer.echo(json.dumps(node.student_as_of(number, at), ensure_ascii=False, default=str))
    except NotFound as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    finally:
        node.close()
