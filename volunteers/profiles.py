"""Volunteer profiles (skills, interests, availability, home, travel distance) and
guardians' consent for minors. Field formats are checked by the serializers; these
services check what spans fields or rows.

Locking: both writers take the volunteer's user row first, the same first lock as a
sign-up (projects.services), so a sign-up never sees half a change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import RealName, Region, User
from config.exceptions import Conflict, DomainError
from volunteers.eligibility import ADULT_AGE
from volunteers.models import GuardianConsent, VolunteerProfile

WEEKDAYS = "一二三四五六日"
_UNSET: Any = object()


def _tags(values: list[str]) -> list[str]:
    """Trimmed, without blanks or repeats, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _availability(slots: list[dict]) -> list[dict]:
    """Sorted weekly slots; two slots of one day may touch but not overlap."""
    ordered = sorted(({"weekday": s["weekday"], "start": s["start"], "end": s["end"]} for s in slots),
                     key=lambda s: (s["weekday"], s["start"]))
    for before, after in pairwise(ordered):
        if before["weekday"] == after["weekday"] and after["start"] < before["end"]:
            day = WEEKDAYS[after["weekday"]]
            raise DomainError("invalid", f"星期{day}的可服务时间段重叠",
                              fields={"availability": [f"星期{day} {before['start']}–{before['end']} 与 "
                                                       f"{after['start']}–{after['end']} 重叠"]})
    return ordered


def volunteer_profile_get(*, volunteer: User) -> VolunteerProfile:
    """The volunteer's profile, or an unsaved empty one: reading never writes."""
    return (VolunteerProfile.objects.select_related("home_region").filter(volunteer_id=volunteer.id).first()
            or VolunteerProfile(volunteer=volunteer))


def volunteer_profile_update(*, volunteer: User, skills: list[str] = _UNSET, interests: list[str] = _UNSET,
                             availability: list[dict] = _UNSET, home_region: str | None = _UNSET,
                             home_lat: Decimal | None = _UNSET, home_lng: Decimal | None = _UNSET,
                             travel_km: Decimal | None = _UNSET) -> VolunteerProfile:
    """Change the given fields of the volunteer's profile (created on first change).
    A home position is a lat/lng pair: setting or clearing one half alone is refused."""
    changes: dict[str, Any] = {}
    if skills is not _UNSET:
        changes["skills"] = _tags(skills)
    if interests is not _UNSET:
        changes["interests"] = _tags(interests)
    if availability is not _UNSET:
        changes["availability"] = _availability(availability)
    if home_region is not _UNSET:
        region = Region.objects.filter(code=home_region).first() if home_region else None
        if home_region and region is None:
            raise DomainError("invalid", "区划代码不存在", fields={"home_region": ["区划代码不存在"]})
        changes["home_region"] = region
    if travel_km is not _UNSET:
        changes["travel_km"] = travel_km
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        profile = VolunteerProfile.objects.filter(volunteer_id=volunteer.id).first() or VolunteerProfile(
            volunteer=volunteer)
        lat = profile.home_lat if home_lat is _UNSET else home_lat
        lng = profile.home_lng if home_lng is _UNSET else home_lng
        if (lat is None) != (lng is None):
            missing = "home_lng" if lng is None else "home_lat"
            raise DomainError("invalid", "居住地经纬度须同时填写或同时清空", fields={missing: ["须与另一项同时填写"]})
        changes.update(home_lat=lat, home_lng=lng)
        for field, value in changes.items():
            setattr(profile, field, value)
        profile.updated_at = timezone.now()
        if profile._state.adding:
            profile.save(force_insert=True)
        else:
            profile.save(update_fields=[*changes, "updated_at"])
    return profile


# --- guardians' consent -------------------------------------------------------------------

def _real_name_locked(volunteer: User) -> RealName | None:
    User.objects.select_for_update().filter(id=volunteer.id).exists()
    return RealName.objects.filter(user_id=volunteer.id).first()


def guardian_consent_current(*, volunteer: User) -> GuardianConsent | None:
    return GuardianConsent.objects.filter(volunteer_id=volunteer.id, withdrawn_at__isnull=True).first()


def guardian_consent_status(*, volunteer: User) -> dict:
    """Whether the volunteer needs a consent (None while their age is unknown) and the
    current one."""
    real_name = RealName.objects.filter(user_id=volunteer.id).only("user_id", "birth_date").first()
    consent_age = settings.MINOR_CONSENT_AGE
    return {"consent_age": consent_age,
            "required": None if real_name is None else real_name.age_on(timezone.localdate()) < consent_age,
            "consent": guardian_consent_current(volunteer=volunteer)}


def guardian_consent_record(*, volunteer: User, guardian_name: str, guardian_phone: str,
                            relationship: str = "", now: datetime | None = None) -> GuardianConsent:
    """Record a guardian's consent for a minor (submitted from the minor's account, with
    the guardian present). The volunteer must be verified by real name and under 18;
    a new consent replaces the current one, which stays on record as withdrawn."""
    now = now or timezone.now()
    if guardian_phone == volunteer.phone:
        raise DomainError("invalid", "监护人手机号不能与志愿者本人相同",
                          fields={"guardian_phone": ["请填写监护人本人的手机号"]})
    with transaction.atomic():
        real_name = _real_name_locked(volunteer)
        if real_name is None:
            raise Conflict("real_name_required", "请先完成实名认证，再登记监护人同意")
        if real_name.age_on(timezone.localtime(now).date()) >= ADULT_AGE:
            raise Conflict("not_a_minor", "您已成年，无需登记监护人同意")
        GuardianConsent.objects.filter(volunteer_id=volunteer.id, withdrawn_at__isnull=True).update(
            withdrawn_at=now)
        return GuardianConsent.objects.create(volunteer=volunteer, guardian_name=guardian_name,
                                              guardian_phone=guardian_phone, relationship=relationship,
                                              consented_at=now, recorded_by=volunteer)


def guardian_consent_withdraw(*, volunteer: User) -> GuardianConsent:
    """Withdraw the current consent (compare-and-set: once). Sign-ups already made stay;
    new ones need a new consent."""
    with transaction.atomic():
        User.objects.select_for_update().filter(id=volunteer.id).exists()
        current = guardian_consent_current(volunteer=volunteer)
        if current is None:
            raise Http404
        GuardianConsent.objects.filter(id=current.id, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
    current.refresh_from_db(fields=["withdrawn_at"])
    return current
