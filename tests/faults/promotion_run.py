"""`python -m tests.faults.promotion_run STORE BATCH`: the node's promotion job alone in its own
process, on a province store, the business clock at 2027-08-11 — for the fault test to kill.

The job is the node's (`PromotionService.run`); only the process around it is smaller than a
whole node, so that the test can arm one fault point and count what each run stored.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.promotions import PromotionService
from xueji.clock import SHANGHAI, FixedClock
from xueji.store import Writer, store_env

PROMOTION_DAY_PASSED = datetime(2027, 8, 11, 0, 1, tzinfo=SHANGHAI)


async def main(url: str, batch: int) -> dict:
    writer = Writer("promotion-run")
    node = await writer(ProvinceNode, "44", store_env(url))
    promotions = PromotionService(node, writer, FixedClock(PROMOTION_DAY_PASSED), batch=batch)
    result = await promotions.run(CommandMeta.new("system", "44", "sysadmin"))
    writer.shutdown()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], int(sys.argv[2])))))
