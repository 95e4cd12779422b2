"""Venues, bookable rooms, and the brand showcase.

Booking locks the room row (``select_for_update``) before looking for overlapping
confirmed bookings, so two requests for the same slot queue up and the second sees
the first; on PostgreSQL the exclusion constraint ``booking_no_overlap`` backs it
(migration 0003). On SQLite transactions begin IMMEDIATE, which serialises writers."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.http import Http404
from django.utils import timezone

from accounts.models import Region, User
from config.exceptions import Conflict, DomainError, Forbidden
from organizations.models import (
    FilingApplication,
    Membership,
    Organization,
    OrganizationEvent,
    Room,
    RoomBooking,
    Venue,
)
from organizations.selectors import BRAND_PROJECT_STATUSES, SENIOR_STAFF, governs, organization_for_editor

MAX_BOOKING = timedelta(hours=12)
MAX_AHEAD = timedelta(days=180)


def venue_create(*, user: User, name: str, region: Region, kind: str = Venue.Kind.OTHER,
                 address: str = "") -> Venue:
    if not governs(user=user, region_code=region.code):
        raise Forbidden("outside_jurisdiction", "该区划不在您的管辖范围内", fields={"region": ["不在管辖范围内"]})
    if Venue.objects.filter(region=region, name=name.strip()).exists():
        raise Conflict("duplicate_name", "该区划内已有同名场地", fields={"name": ["名称重复"]})
    try:
        with transaction.atomic():
            return Venue.objects.create(name=name.strip(), region=region, kind=kind, address=address)
    except IntegrityError:  # the same name created at the same moment: the unique constraint decides
        raise Conflict("duplicate_name", "该区划内已有同名场地", fields={"name": ["名称重复"]}) from None


def room_create(*, user: User, venue_id: int, name: str, capacity: int = 20) -> Room:
    venue = Venue.objects.filter(id=venue_id).first()
    if venue is None:
        raise Http404
    if not governs(user=user, region_code=venue.region_id):
        raise Forbidden("permission_denied", "该场地不在您的管辖范围内")
    if venue.rooms.filter(name=name.strip()).exists():
        raise Conflict("duplicate_name", "该场地已有同名活动室", fields={"name": ["名称重复"]})
    try:
        with transaction.atomic():
            return Room.objects.create(venue=venue, name=name.strip(), capacity=capacity)
    except IntegrityError:
        raise Conflict("duplicate_name", "该场地已有同名活动室", fields={"name": ["名称重复"]}) from None


def _venue_for_staff(*, user: User, venue_id: int, lock: bool = False) -> Venue:
    qs = Venue.objects.select_for_update() if lock else Venue.objects.all()
    venue = qs.filter(id=venue_id).first()
    if venue is None:
        raise Http404
    if not governs(user=user, region_code=venue.region_id):
        raise Forbidden("permission_denied", "该场地不在您的管辖范围内")
    return venue


def _room_for_staff(*, user: User, room_id: int, lock: bool = False) -> Room:
    qs = Room.objects.select_related("venue")
    if lock:
        # The room row is the lock every booking of the room takes first (booking_create).
        qs = qs.select_for_update(of=("self",))
    room = qs.filter(id=room_id).first()
    if room is None:
        raise Http404
    if not governs(user=user, region_code=room.venue.region_id):
        raise Forbidden("permission_denied", "该场地不在您的管辖范围内")
    return room


def venue_update(*, user: User, venue_id: int, data: dict) -> Venue:
    """Governing staff edit a venue; moving it needs the new region in their jurisdiction
    too. ``is_active=False`` stops it: its rooms take no new bookings and no organization
    or filing can choose it; what already points at it stays."""
    with transaction.atomic():
        venue = _venue_for_staff(user=user, venue_id=venue_id, lock=True)
        if "region" in data and not governs(user=user, region_code=data["region"].code):
            raise Forbidden("outside_jurisdiction", "该区划不在您的管辖范围内", fields={"region": ["不在管辖范围内"]})
        if "name" in data:
            data["name"] = data["name"].strip()
        region = data.get("region", venue.region)
        name = data.get("name", venue.name)
        if Venue.objects.filter(region=region, name=name).exclude(id=venue.id).exists():
            raise Conflict("duplicate_name", "该区划内已有同名场地", fields={"name": ["名称重复"]})
        for key, value in data.items():
            setattr(venue, key, value)
        try:
            with transaction.atomic():
                venue.save(update_fields=list(data) or None)
        except IntegrityError:
            raise Conflict("duplicate_name", "该区划内已有同名场地", fields={"name": ["名称重复"]}) from None
    return venue


def venue_delete(*, user: User, venue_id: int) -> None:
    """Delete a venue nothing refers to. One that hosts organizations, is named in a
    filing or whose rooms were ever booked is a 409 ``venue_in_use``: stop it instead
    (``is_active=False``), so the records that mention it stay whole."""
    with transaction.atomic():
        venue = _venue_for_staff(user=user, venue_id=venue_id, lock=True)
        rooms = list(Room.objects.select_for_update().filter(venue=venue).values_list("id", flat=True))
        reasons: dict[str, list[str]] = {}
        if Organization.objects.filter(venue=venue).exists():
            reasons["organizations"] = ["有组织入驻该场地"]
        if FilingApplication.objects.filter(venue=venue).exists():
            reasons["filings"] = ["有备案申请填写了该场地"]
        if RoomBooking.objects.filter(room_id__in=rooms).exists():
            reasons["bookings"] = ["活动室有预约记录"]
        if reasons:
            raise Conflict("venue_in_use", "该场地仍被使用，不能删除，可以停用", fields=reasons)
        try:
            with transaction.atomic():
                venue.delete()
        except ProtectedError:  # a booking slipped in between: the FK still refuses
            raise Conflict("venue_in_use", "该场地仍被使用，不能删除，可以停用",
                           fields={"bookings": ["活动室有预约记录"]}) from None


def room_update(*, user: User, room_id: int, data: dict) -> Room:
    """Governing staff rename a room, change its capacity or stop bookings
    (``is_bookable=False``); confirmed bookings already made stay valid."""
    with transaction.atomic():
        room = _room_for_staff(user=user, room_id=room_id, lock=True)
        if "name" in data:
            data["name"] = data["name"].strip()
            if Room.objects.filter(venue_id=room.venue_id, name=data["name"]).exclude(id=room.id).exists():
                raise Conflict("duplicate_name", "该场地已有同名活动室", fields={"name": ["名称重复"]})
        for key, value in data.items():
            setattr(room, key, value)
        try:
            with transaction.atomic():
                room.save(update_fields=list(data) or None)
        except IntegrityError:
            raise Conflict("duplicate_name", "该场地已有同名活动室", fields={"name": ["名称重复"]}) from None
    return room


def room_delete(*, user: User, room_id: int) -> None:
    """Delete a room that was never booked; one with bookings is a 409 ``room_in_use``
    (make it unbookable instead). Locks the room row, which every booking takes first,
    so no booking can land between the check and the delete."""
    with transaction.atomic():
        room = _room_for_staff(user=user, room_id=room_id, lock=True)
        if room.bookings.exists():
            raise Conflict("room_in_use", "该活动室有预约记录，不能删除，可以设为不可预约",
                           fields={"bookings": ["有预约记录"]})
        try:
            with transaction.atomic():
                room.delete()
        except ProtectedError:
            raise Conflict("room_in_use", "该活动室有预约记录，不能删除，可以设为不可预约",
                           fields={"bookings": ["有预约记录"]}) from None


def _may_book(*, user: User, room: Room, organization: Organization) -> bool:
    if governs(user=user, region_code=room.venue.region_id):
        return True
    return (organization.venue_id == room.venue_id
            and Membership.objects.filter(user=user, organization=organization).exists())


def booking_create(*, user: User, room_id: int, organization: Organization, starts_at: datetime,
                   ends_at: datetime, purpose: str = "") -> RoomBooking:
    """Book a room for an organization hosted at its venue (its members) or for any
    organization (staff governing the venue). 409 ``room_booked`` on any overlap."""
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if starts_at <= now:
        errors["starts_at"] = ["开始时间必须晚于当前时间"]
    elif starts_at - now > MAX_AHEAD:
        errors["starts_at"] = ["最多提前 180 天预约"]
    if ends_at <= starts_at:
        errors["ends_at"] = ["结束时间必须晚于开始时间"]
    elif ends_at - starts_at > MAX_BOOKING:
        errors["ends_at"] = ["单次预约不超过 12 小时"]
    if errors:
        raise DomainError("invalid", next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        # The room row is the lock every booking of this room queues behind.
        room = Room.objects.select_for_update(of=("self",)).select_related("venue").filter(id=room_id).first()
        if room is None:
            raise Http404
        if not _may_book(user=user, room=room, organization=organization):
            raise Forbidden("permission_denied", "只有入驻该场地的组织成员或管辖工作人员可以预约")
        if not room.is_bookable or not room.venue.is_active:
            raise DomainError("not_bookable", "该活动室暂不开放预约", fields={"room": ["不可预约"]})
        if organization.status != Organization.Status.ACTIVE:
            raise DomainError("organization_inactive", "该组织当前不能预约场地",
                              fields={"organization": ["非正常状态"]})
        clash = room.bookings.filter(status=RoomBooking.Status.CONFIRMED, starts_at__lt=ends_at,
                                     ends_at__gt=starts_at).first()
        if clash is not None:
            raise Conflict("room_booked", "该时段已被预约", fields={"starts_at": [f"与预约 #{clash.id} 冲突"]})
        try:
            with transaction.atomic():
                return RoomBooking.objects.create(room=room, organization=organization, booked_by=user,
                                                  starts_at=starts_at, ends_at=ends_at, purpose=purpose)
        except IntegrityError:
            raise Conflict("room_booked", "该时段已被预约", fields={"starts_at": ["时段冲突"]}) from None


def booking_cancel(*, user: User, booking_id: int) -> RoomBooking:
    """The booker or governing staff cancel; compare-and-set on the status."""
    booking = RoomBooking.objects.select_related("room__venue").filter(id=booking_id).first()
    if booking is None:
        raise Http404
    if booking.booked_by_id != user.id and not governs(user=user, region_code=booking.room.venue.region_id):
        raise Forbidden("permission_denied", "只有预约人或管辖工作人员可以取消")
    changed = RoomBooking.objects.filter(id=booking.id, status=RoomBooking.Status.CONFIRMED).update(
        status=RoomBooking.Status.CANCELLED, cancelled_at=timezone.now())
    if changed != 1:
        raise Conflict("already_cancelled", "该预约已取消")
    booking.refresh_from_db(fields=["status", "cancelled_at"])
    return booking


def brand_update(*, user: User, organization_id: int, data: dict) -> Organization:
    """Street or bureau staff award or withdraw the brand flag; the organization's admin
    and governing staff keep its story, photos and linked projects."""
    with transaction.atomic():
        org = organization_for_editor(user=user, organization_id=organization_id, lock=True)
        if "is_brand" in data and not (governs(user=user, region_code=org.region_id)
                                       and user.staff_role in SENIOR_STAFF):
            raise Forbidden("permission_denied", "品牌组织由街道或民政部门认定", fields={"is_brand": ["无权认定"]})
        projects = data.pop("brand_projects", None)
        if projects is not None:
            foreign = [p.id for p in projects if p.organization_id != org.id]
            if foreign:
                raise DomainError("invalid", "只能关联本组织的服务项目",
                                  fields={"brand_projects": [f"项目 #{i} 不属于本组织" for i in foreign]})
            # The showcase is public: a draft or cancelled project is not shown to anyone.
            hidden = [p.id for p in projects if p.status not in BRAND_PROJECT_STATUSES]
            if hidden:
                raise DomainError("invalid", "只能关联已发布或已结束的服务项目",
                                  fields={"brand_projects": [f"项目 #{i} 未发布" for i in hidden]})
            org.brand_projects.set(projects)
        for key, value in data.items():
            setattr(org, key, value)
        org.save(update_fields=[*data, "updated_at"])
        OrganizationEvent.objects.create(organization=org, kind=OrganizationEvent.Kind.BRAND, actor=user,
                                         changes={"is_brand": org.is_brand})
    return org
