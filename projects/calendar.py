"""The private iCal feed (RFC 5545) of a volunteer's confirmed upcoming shifts.

The URL carries a random secret: anyone holding it can read the feed, so it can be
reset, which invalidates the old URL at once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from projects.models import CalendarFeed, Signup


def calendar_feed_get_or_create(*, user: User) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(user=user, defaults={"token": secrets.token_urlsafe(32)})
    return feed


def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """A new secret; the old URL stops working."""
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            user=user, defaults={"token": secrets.token_urlsafe(32)})
        if not created:
            feed.token, feed.created_at = secrets.token_urlsafe(32), timezone.now()
            feed.save(update_fields=["token", "created_at"])
    return feed


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1), never inside a character."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def calendar_render(*, token: str, host: str = "platform") -> str:
    """The feed for ``token``: the owner's confirmed sign-ups of shifts not yet over."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    now = timezone.now()
    signups = (Signup.objects.filter(volunteer=feed.user, status=Signup.Status.CONFIRMED,
                                     shift__ends_at__gt=now)
               .select_related("shift__project").order_by("shift__starts_at", "id"))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//shegong-yigong//volunteer platform//ZH",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:我的志愿服务"]
    stamp = _utc(now)
    for signup in signups:
        shift = signup.shift
        lines += [
            "BEGIN:VEVENT",
            f"UID:signup-{signup.id}@{host}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(shift.starts_at)}",
            f"DTEND:{_utc(shift.ends_at)}",
            f"SUMMARY:{_text(shift.project.title)}",
            f"LOCATION:{_text(shift.place)}",
            f"DESCRIPTION:{_text(shift.project.description[:500])}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
