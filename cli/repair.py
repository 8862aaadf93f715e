"""`xueji repair republish` (BUS-6): a province stream that went backwards (the hub's alarm,
事件流告警) is repaired by the province publishing its log again from a notification id, over
the hub's HTTP API as the ministry sysadmin."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.reconcile import Hub, Json, Password, User, _answer, _session

repair_app = typer.Typer(help="Repairs of the federation's streams (BUS-6)")


@repair_app.command("republish")
def republish(
    province: Annotated[str, typer.Option(help="Two-digit province code of the stream")],
    from_id: Annotated[
        int,
        typer.Option(
            "--from",
            min=1,
            help="The province's notification id to publish again from (the alarm's "
            "last_source_notification_id + 1; 1 publishes the whole log)",
        ),
    ],
    hub: Hub = "http://127.0.0.1:8000",
    username: User = "moe_sysadmin",
    password: Password = "",
    as_json: Json = False,
) -> None:
    """The node republishes from the id with fresh message ids; the hub resumes and clears
    the alarm. Exit 0 when done, 2 when refused."""
    body = {"province": province, "from_notification_id": from_id}
    with _session(hub, username, password) as client:
        done = _answer(client.post("/api/v1/repairs/republish", json=body))
    if as_json:
        typer.echo(json.dumps(done, ensure_ascii=False))
    else:
        typer.echo(
            f"{done['province']}: epoch {done['epoch']}, republishing notifications "
            f"{done['from_notification_id']}…{done['last_notification_id']}"
        )
