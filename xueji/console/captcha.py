"""QRY-4 "plus the captcha the original shows": the consoles' national query asks for the
characters of an image (the `captcha` package) before each query, on top of the hub's
per-account limit that every path shares. API clients have no image; the limit alone holds
them back.

A challenge is one random id with four characters (no 0/O or 1/I), answered once: right or
wrong, it is gone, so a script cannot try answers against one image. Unanswered ones expire
after five minutes; the book is bounded like the sessions are, in the memory of the process
that drew the image (the page and its query are served by the same process).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from captcha.image import ImageCaptcha
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from contracts.errors import ContractError

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LENGTH = 4
TTL_SECONDS = 300.0
MAX_OPEN = 10_000


class Captchas:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._open: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._drawer = ImageCaptcha(width=160, height=60)

    def issue(self) -> str:
        """A new challenge; its id goes in the form, its image at `/captcha/<id>.png`."""
        self._forget_expired()
        challenge = secrets.token_urlsafe(16)
        answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        self._open[challenge] = (answer, self._now() + TTL_SECONDS)
        while len(self._open) > MAX_OPEN:
            self._open.popitem(last=False)
        return challenge

    def image(self, challenge: str) -> bytes | None:
        answer = self.answer(challenge)
        return None if answer is None else self._drawer.generate(answer).getvalue()

    def answer(self, challenge: str) -> str | None:
        """The characters of an open challenge (the image; in-process tests read it too —
        it never leaves the process as text)."""
        entry = self._open.get(challenge)
        return entry[0] if entry and entry[1] > self._now() else None

    def solve(self, challenge: str, given: str) -> None:
        """Refuses (naming the `captcha` field) unless `given` answers the open challenge;
        the challenge is used up either way."""
        entry = self._open.pop(challenge, None)
        if entry is None or entry[1] <= self._now():
            raise ContractError("captcha", "captcha_expired", "验证码已失效，请看新的图片重新输入")
        if not secrets.compare_digest(entry[0], given.strip().upper()):
            raise ContractError("captcha", "captcha_wrong", "验证码不正确，请看新的图片重新输入")

    def _forget_expired(self) -> None:
        now = self._now()
        for challenge in [c for c, (_, until) in self._open.items() if until <= now]:
            del self._open[challenge]


router = APIRouter(include_in_schema=False)


@router.get("/captcha/{challenge}.png")
async def captcha_image(request: Request, challenge: str) -> Response:
    image = request.app.state.console.captchas.image(challenge)
    if image is None:
        raise HTTPException(404, "验证码已失效")
    return Response(image, media_type="image/png", headers={"cache-control": "no-store"})
