"""Rotating check-in codes shown as a QR code on the social worker's screen.

A code is ``<shift>-<window>-<signature>``: the window is the current slice of
``CHECKIN_CODE_WINDOW_SECONDS``, the signature an HMAC with the secret key. A code is
accepted during its own window and the next, so a volunteer who scans just before the
screen rotates is not refused; a photo of the QR is useless a minute later."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from config.exceptions import DomainError

_CODE = re.compile(r"^(\d{1,12})-(\d{1,12})-([0-9a-f]{20})$")


@dataclass(frozen=True)
class CheckinCode:
    code: str
    expires_at: datetime
    refresh_after: int


def _window(now: datetime) -> int:
    return int(now.timestamp()) // settings.CHECKIN_CODE_WINDOW_SECONDS


def _sign(shift_id: int, window: int) -> str:
    return salted_hmac("projects.checkin", f"{shift_id}:{window}").hexdigest()[:20]


def checkin_code_for(*, shift_id: int, now: datetime | None = None) -> CheckinCode:
    now = now or timezone.now()
    window = _window(now)
    size = settings.CHECKIN_CODE_WINDOW_SECONDS
    expires = datetime.fromtimestamp((window + 2) * size, tz=UTC)
    next_rotation = (window + 1) * size - now.timestamp()
    return CheckinCode(
        code=f"{shift_id}-{window}-{_sign(shift_id, window)}",
        expires_at=expires,
        refresh_after=max(1, int(next_rotation + 0.999)),
    )


def checkin_code_verify(*, code: str, now: datetime | None = None) -> int:
    """Return the shift id the code was made for, or raise a 400 saying why not."""
    match = _CODE.match(code.strip()) if isinstance(code, str) else None
    if match is None:
        raise DomainError("checkin_code_invalid", "签到码无效", fields={"code": ["签到码无效"]})
    shift_id, window, signature = int(match[1]), int(match[2]), match[3]
    if not hmac.compare_digest(signature, _sign(shift_id, window)):
        raise DomainError("checkin_code_invalid", "签到码无效", fields={"code": ["签到码无效"]})
    current = _window(now or timezone.now())
    if window not in (current, current - 1):
        raise DomainError("checkin_code_expired", "签到码已过期，请重新扫描现场二维码",
                          fields={"code": ["签到码已过期"]})
    return shift_id
