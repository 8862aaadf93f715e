"""The province node's views, in one place for the node, `xueji rebuild` and the benchmarks."""

from __future__ import annotations

from projections.service import Views
from province_node.application import ProvinceNode
from province_node.views.admissions import admissions_view
from province_node.views.applications import applications_view
from province_node.views.dropouts import dropouts_view
from province_node.views.pending import pending_view
from province_node.views.problems import problems_view
from province_node.views.registrations import registrations_view
from province_node.views.students import students_view


def node_views(node: ProvinceNode, url: str) -> Views:
    views = [
        students_view(node.name),
        registrations_view(node.name),
        pending_view(node.name),
        applications_view(node.name),
        dropouts_view(node.name),
        admissions_view(node.name),
        problems_view(node.name, node.province),
    ]
    return Views(node, url, views)
