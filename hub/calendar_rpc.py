"""`xueji.rpc.hub.calendar.years` (SYS-2): nodes compute working days with the years the
ministry entered on the hub, so a deadline reads the same in every province."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.envelope import decode
from contracts.queries import CalendarYears, CalendarYearsQuery, EnteredYear
from hub.calendar import CalendarService
from hub.senders import acting_province, check_sender
from xueji.bus import serve


async def serve_calendar(nc: Client, calendar: CalendarService) -> None:
    async def years(msg: Msg) -> CalendarYears:
        check_sender(acting_province(msg), decode(CalendarYearsQuery, msg.data))
        entered = await calendar.entered()
        return CalendarYears(years=[EnteredYear(**y.view()) for y in entered.values()])

    await serve(nc, subjects.hub_rpc("*", subjects.HUB_CALENDAR_YEARS), subjects.HUB_QUEUE, years)
