"""The province node's views, in one place for the node, `xueji rebuild` and the benchmarks."""

from __future__ import annotations

from projections.registrations import registrations_view
from projections.service import Views
from projections.students import students_view
from province_node.application import ProvinceNode


def node_views(node: ProvinceNode, url: str) -> Views:
    return Views(node, url, [students_view(node.name), registrations_view(node.name)])
