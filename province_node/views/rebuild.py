"""`xueji rebuild <view> [--province NN]` (AUD-3): drop a view and build it again from the log.

For a stopped node (the running node rebuilds through `POST /api/v1/admin/views/{name}/rebuild`,
on the thread that writes its views, so its projector never sees a half-dropped view).
"""

from __future__ import annotations

import time

from province_node.application import ProvinceNode
from province_node.settings import NodeSettings
from province_node.views.node import node_views
from xueji.store import store_env


def rebuild(province: str, name: str) -> list[tuple[str, int, float]]:
    """Rebuilds `name` (or every view for `all`); returns (view, events read, seconds)."""
    settings = NodeSettings(province=province)
    node = ProvinceNode(province, store_env(settings.store_url()))
    views = node_views(node, settings.views_store_url())
    names = list(views.projectors) if name == "all" else [name]
    unknown = [n for n in names if n not in views.projectors]
    if unknown:
        raise KeyError(f"unknown view {unknown[0]} (known: {', '.join(views.projectors)}, all)")
    done = []
    try:
        for view in names:
            started = time.perf_counter()
            events = views.rebuild(view)
            done.append((view, events, time.perf_counter() - started))
    finally:
        views.close()
        node.close()
    return done
