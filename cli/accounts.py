"""`xueji create-sysadmin`: the first account of a fresh deployment (SEC-2, SEC-8).

Production loads no demo data, so a new hub or province node has no account at all; this
command opens its store directly (run it before the service's first start, or with the
service stopped: one writer per database; with the service's key, XUEJI_CIPHER_KEY[_FILE])
and creates one sysadmin with a random one-time
password, printed once. Its first login must change it; every further account is opened by
a sysadmin in the console or with `POST /api/v1/admin/accounts`.
"""

from __future__ import annotations

from typing import Annotated

import typer


def create_sysadmin(
    province: Annotated[
        str | None, typer.Option(help="Two-digit province code: the node's province sysadmin")
    ] = None,
    hub: Annotated[bool, typer.Option("--hub", help="The hub's (ministry's) sysadmin")] = False,
    username: Annotated[
        str | None, typer.Option(help="Default <unit code>_sysadmin, moe_sysadmin on the hub")
    ] = None,
    display_name: Annotated[str, typer.Option(help="Shown in the console")] = "系统管理员",
    url: Annotated[
        str | None,
        typer.Option(help="Store URL; default the service's own (XUEJI_DB_URL or var/…)"),
    ] = None,
) -> None:
    """Create the first sysadmin of a fresh deployment; prints its one-time password once."""
    from contracts.codes import MINISTRY_UNIT
    from contracts.errors import DomainError
    from contracts.meta import CommandMeta
    from xueji.access.service import create_first_sysadmin
    from xueji.store import store_env

    if hub == (province is not None):
        raise typer.BadParameter("give either --province NN or --hub", param_hint="--province")
    if hub:
        from hub.application import NationalHub
        from hub.settings import HubSettings

        hub_settings = HubSettings()
        store = url or hub_settings.store_url()
        app = NationalHub(store_env(store, hub_settings.cipher_ring(store)))
        unit = (MINISTRY_UNIT, "教育部", "ministry")
        username = username or "moe_sysadmin"
    else:
        from contracts.org import OrgTree
        from province_node.application import ProvinceNode
        from province_node.settings import NodeSettings

        settings = NodeSettings(province=province)
        store = url or settings.store_url()
        app = ProvinceNode(settings.province, store_env(store, settings.cipher_ring(store)))
        top = OrgTree.for_province(settings.province, []).province()
        unit = (top.code, top.name, top.level.value)
        username = username or f"{top.code}_sysadmin"
    meta = CommandMeta.new("system", unit[0], "sysadmin").as_dict()
    try:
        password = create_first_sysadmin(app, unit, username, display_name, meta)
    except DomainError as refused:
        typer.echo(f"未创建 / not created: {refused.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        app.close()
    typer.echo(
        f"已创建系统管理员 {username}（{unit[1]}）。一次性密码（只显示这一次，首次登录须修改）："
    )
    typer.echo(password)
