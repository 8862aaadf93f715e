"""`xueji reconcile claims` (REG-5): run the hub's claim reconciliation on demand, or list the
conflicts it reported, over the hub's HTTP API as the ministry sysadmin."""

from __future__ import annotations

import json
from typing import Annotated

import typer

reconcile_app = typer.Typer(help="Hub ↔ node reconciliations (REG-5 claims that never leak)")

Hub = Annotated[str, typer.Option("--hub", envvar="XUEJI_HUB_URL", help="The hub's base URL")]
User = Annotated[str, typer.Option(help="A ministry sysadmin account")]
Password = Annotated[
    str,
    typer.Option(envvar="XUEJI_PASSWORD", prompt=True, hide_input=True, help="Its password"),
]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _session(hub: str, username: str, password: str):
    import httpx

    url = hub.rstrip("/")
    login = httpx.post(
        f"{url}/api/v1/auth/login", json={"username": username, "password": password}, timeout=30
    )
    if login.status_code != 200:
        typer.echo(f"登录失败：{login.text}", err=True)
        raise typer.Exit(2)
    token = login.json()["access_token"]
    return httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {token}"})


def _answer(response) -> dict:
    if response.status_code != 200:
        typer.echo(f"中央平台拒绝了请求（{response.status_code}）：{response.text}", err=True)
        raise typer.Exit(2)
    return response.json()


@reconcile_app.command("claims")
def claims(
    province: Annotated[
        str | None, typer.Option(help="Two-digit province code; every province if omitted")
    ] = None,
    hub: Hub = "http://127.0.0.1:8000",
    username: User = "moe_sysadmin",
    password: Password = "",
    as_json: Json = False,
) -> None:
    """Reconcile the hub's claims with the node(s) now: checked, released, conflicts.
    Exit 0 when every province answered and nothing conflicts, 1 otherwise."""
    body = {"province": province} if province else {}
    with _session(hub, username, password) as client:
        runs = _answer(client.post("/api/v1/reconciliations/claims", json=body))["runs"]
    if as_json:
        typer.echo(json.dumps({"runs": runs}, ensure_ascii=False))
    for run in [] if as_json else runs:
        if not run["answered"]:
            typer.echo(f"{run['province']}: 节点未应答，未核对")
            continue
        typer.echo(
            f"{run['province']}: checked {run['checked']}, kept {run['kept']}, "
            f"released {run['released']}, conflicts {run['conflicts']}, "
            f"in grace period {run['young']}"
        )
    clean = all(r["answered"] and not r["conflicts"] for r in runs)
    raise typer.Exit(0 if clean else 1)


@reconcile_app.command("conflicts")
def conflicts(
    hub: Hub = "http://127.0.0.1:8000",
    username: User = "moe_sysadmin",
    password: Password = "",
    as_json: Json = False,
) -> None:
    """The claim conflicts the last reconciliations reported (exit 1 if any)."""
    with _session(hub, username, password) as client:
        found = _answer(client.get("/api/v1/reconciliations/claims"))
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False))
    else:
        typer.echo(f"{found['total']} conflict(s)")
        for item in found["items"]:
            typer.echo(
                f"{item['province']} {item['registration_id']} {item['kind']}: {item['label']}"
            )
    raise typer.Exit(1 if found["total"] else 0)
