"""Every registry endpoint against every role, in one table, and the OpenAPI description.

The cast (tests/registry_factories.py): an organization in 京东社区 with its admin; an
admin of an organization in another street; a resident; community staff of 京东社区 and
of 玉北社区 (same street); street staff of 中原路街道 and of 胜利路街道; bureau staff.
A venue in 京东社区 hosts the organization, with a booked room and an unused one; a
resident's filing waits at each step. A refused call answers in the error shape and
writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from organizations.charter_template import charter_template
from organizations.models import (
    Charter,
    FilingApplication,
    FilingStep,
    Inspection,
    Organization,
    OrganizationEvent,
    PartyBuildingChange,
    Room,
    RoomBooking,
    Venue,
)
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, region
from tests.registry_factories import ROLES, cast, valid_code

pytestmark = pytest.mark.django_db

SECTIONS = charter_template(name="京东社区组织")


def _world():
    c = cast()
    venue = Venue.objects.create(name="京东社区党群服务中心", region=region(COMMUNITY))
    Organization.objects.filter(id=c.org.id).update(venue=venue)
    c.org.refresh_from_db()
    booked = Room.objects.create(venue=venue, name="多功能活动室")
    spare = Room.objects.create(venue=venue, name="空闲活动室")
    unused = Venue.objects.create(name="闲置场地", region=region(COMMUNITY))
    start = timezone.now() + timedelta(days=2)
    booking = RoomBooking.objects.create(room=booked, organization=c.org, booked_by=c.admin, starts_at=start,
                                         ends_at=start + timedelta(hours=2))
    filings = {status: FilingApplication.objects.create(
        applicant=c.resident, name=f"京东社区读书会{status}", region=region(COMMUNITY), person_in_charge="王",
        contact_phone="13900000000", members=[{"name": "甲", "kind": "individual"}], individual_members=1,
        charter_sections=SECTIONS, status=status) for status in ("submitted", "community_approved", "returned")}
    return c, {"org": c.org.id, "venue": venue.id, "unused_venue": unused.id, "room": booked.id,
               "spare_room": spare.id, "booking": booking.id, **{f"filing_{k}": v.id for k, v in filings.items()}}


def _slot() -> dict:
    start = timezone.now() + timedelta(days=3)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}


def _import_file():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    from organizations.services.excel import COLUMNS

    book = Workbook()
    book.active.append([h for h, _ in COLUMNS])
    values = {"name": "京东社区书法协会", "credit_code": valid_code("social_group", serial=555), "org_type": "社团",
              "registration_status": "登记", "authority_level": "县区属", "region": COMMUNITY,
              "is_community": "是", "service_domains": "文化", "founded_on": "2020-01-01", "person_in_charge": "刘",
              "contact_phone": "13900002222", "individual_members": 30, "unit_members": 0, "status": "正常"}
    book.active.append([values[f] for _, f in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("ledger.xlsx", out.getvalue())


def _statuses(ok: int, allowed: set[str], *, denied: int = 403, hidden: set[str] = frozenset(),
              anonymous: int = 401) -> dict[str, int]:
    """``ok`` for the allowed roles, 404 for the ``hidden`` ones, ``denied`` for the rest."""
    out = {role: ok if role in allowed else 404 if role in hidden else denied for role in ROLES}
    out["anonymous"] = ok if "anonymous" in allowed else anonymous
    return out


EVERYONE = set(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
EDITORS = {"admin", "community", "street", "bureau"}  # governing staff and the organization's own admin
GOVERNING = {"community", "street", "bureau"}  # staff whose jurisdiction holds 京东社区
SENIOR = {"street", "bureau"}  # street and bureau staff governing it
STAFF = {"community", "other_community", "street", "other_street", "bureau"}
OUTSIDE_STAFF = {"other_community", "other_street"}

# name, method, path, body (or a callable making it), format, expected status per role
MATRIX = [
    ("list", "get", "/api/v1/organizations/", None, _statuses(200, EVERYONE)),
    ("create", "post", "/api/v1/organizations/",
     lambda: {"name": "京东社区新协会", "org_type": "social_group", "registration_status": "filed",
              "region": COMMUNITY}, _statuses(201, GOVERNING)),
    ("detail", "get", "/api/v1/organizations/{org}/", None, _statuses(200, EVERYONE)),
    ("edit", "patch", "/api/v1/organizations/{org}/", {"description": "新简介"}, _statuses(200, EDITORS)),
    ("put", "put", "/api/v1/organizations/{org}/", {"description": "x"}, _statuses(405, SIGNED_IN)),
    ("tier", "post", "/api/v1/organizations/{org}/tier/", {"tier": "street_managed", "reason": "调整"},
     _statuses(200, SENIOR)),
    ("status", "post", "/api/v1/organizations/{org}/status/", {"status": "suspended", "reason": "整改"},
     _statuses(200, SENIOR)),
    ("inspection", "post", "/api/v1/organizations/{org}/inspections/", {"year": 2023, "result": "qualified"},
     _statuses(201, SENIOR)),
    ("history", "get", "/api/v1/organizations/{org}/history/", None, _statuses(200, EDITORS)),
    ("stats", "get", "/api/v1/organizations/stats/", None, _statuses(200, STAFF)),
    ("stats of 京东社区", "get", "/api/v1/organizations/stats/?region=" + COMMUNITY, None, _statuses(200, GOVERNING)),
    ("export", "get", "/api/v1/organizations/export/", None, _statuses(200, STAFF)),
    # Staff elsewhere may import, but a row outside their jurisdiction is a bad row: nothing imported.
    ("import", "post", "/api/v1/organizations/import/", lambda: {"file": _import_file()},
     {**_statuses(200, GOVERNING), "other_community": 400, "other_street": 400}),
    ("charter template", "get", "/api/v1/organizations/charter-template/", None, _statuses(200, EVERYONE)),
    ("charters", "get", "/api/v1/organizations/{org}/charters/", None, _statuses(200, EDITORS)),
    ("new charter", "post", "/api/v1/organizations/{org}/charters/", {"sections": SECTIONS},
     _statuses(201, EDITORS)),
    ("party building history", "get", "/api/v1/organizations/{org}/party-building/", None,
     _statuses(200, EDITORS)),
    ("party building", "put", "/api/v1/organizations/{org}/party-building/", {"mode": "joint"},
     _statuses(200, EDITORS)),
    ("brands", "get", "/api/v1/organizations/brands/", None, _statuses(200, EVERYONE)),
    # Not a brand (yet): only its editors learn anything about its brand data.
    ("brand", "get", "/api/v1/organizations/{org}/brand/", None,
     _statuses(200, EDITORS, hidden=EVERYONE - EDITORS, anonymous=404)),
    ("brand story", "patch", "/api/v1/organizations/{org}/brand/", {"brand_story": "十年守望"},
     _statuses(200, EDITORS)),
    ("brand flag", "patch", "/api/v1/organizations/{org}/brand/", {"is_brand": True}, _statuses(200, SENIOR)),
    ("venues", "get", "/api/v1/venues/", None, _statuses(200, EVERYONE)),
    ("new venue", "post", "/api/v1/venues/", {"name": "京东社区新场地", "region": COMMUNITY},
     _statuses(201, GOVERNING)),
    ("venue", "get", "/api/v1/venues/{venue}/", None, _statuses(200, EVERYONE)),
    ("edit venue", "patch", "/api/v1/venues/{venue}/", {"address": "中原路 1 号"}, _statuses(200, GOVERNING)),
    ("stop venue", "patch", "/api/v1/venues/{venue}/", {"is_active": False}, _statuses(200, GOVERNING)),
    ("delete venue", "delete", "/api/v1/venues/{unused_venue}/", None, _statuses(204, GOVERNING)),
    ("new room", "post", "/api/v1/venues/{venue}/rooms/", {"name": "议事室", "capacity": 12},
     _statuses(201, GOVERNING)),
    ("edit room", "patch", "/api/v1/rooms/{room}/", {"capacity": 50}, _statuses(200, GOVERNING)),
    ("delete room", "delete", "/api/v1/rooms/{spare_room}/", None, _statuses(204, GOVERNING)),
    ("bookings", "get", "/api/v1/rooms/{room}/bookings/", None, _statuses(200, SIGNED_IN)),
    ("book", "post", "/api/v1/rooms/{room}/bookings/", lambda: {"organization": "{org}", **_slot()},
     _statuses(201, EDITORS)),
    ("cancel booking", "post", "/api/v1/bookings/{booking}/cancel/", None, _statuses(200, EDITORS)),
    ("filings", "get", "/api/v1/filings/", None, _statuses(200, SIGNED_IN)),
    ("apply", "post", "/api/v1/filings/",
     lambda: {"name": "京东社区棋社", "region": COMMUNITY, "person_in_charge": "王", "contact_phone": "13912345678",
              "members": [{"name": "甲"}], "charter_sections": SECTIONS}, _statuses(201, SIGNED_IN)),
    ("filing", "get", "/api/v1/filings/{filing_submitted}/", None,
     _statuses(200, GOVERNING | {"resident"}, hidden=SIGNED_IN - GOVERNING - {"resident"})),
    ("community review", "post", "/api/v1/filings/{filing_submitted}/community-review/", {"approve": True},
     _statuses(200, {"community"}, hidden=SIGNED_IN - GOVERNING)),
    ("street decision", "post", "/api/v1/filings/{filing_community_approved}/street-decision/", {"approve": True},
     _statuses(200, {"street"}, hidden=SIGNED_IN - GOVERNING)),
    ("resubmit", "post", "/api/v1/filings/{filing_returned}/resubmit/", {}, _statuses(200, {"resident"},
                                                                                    hidden=SIGNED_IN)),
]


def _fingerprint() -> tuple:
    """What a refused call must leave as it was."""
    return (
        list(Organization.objects.order_by("id").values_list("id", "updated_at", "tier", "status", "is_brand",
                                                               "brand_story", "party_building", "description")),
        OrganizationEvent.objects.count(), Charter.objects.count(), Inspection.objects.count(),
        PartyBuildingChange.objects.count(),
        list(Venue.objects.order_by("id").values_list("id", "name", "address", "is_active")),
        list(Room.objects.order_by("id").values_list("id", "name", "capacity", "is_bookable")),
        list(RoomBooking.objects.order_by("id").values_list("id", "status")),
        list(FilingApplication.objects.order_by("id").values_list("id", "status")), FilingStep.objects.count(),
    )


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


CASES = [pytest.param(name, method, path, body, role, expected[role], id=f"{name}-{role}")
         for name, method, path, body, expected in MATRIX for role in ROLES]


@pytest.mark.parametrize("name, method, path, body, role, status", CASES)
def test_each_role_reaches_each_registry_endpoint_only_as_allowed(name, method, path, body, role, status):
    c, ids = _world()
    user = c.actor(role)
    client = APIClient() if user is None else as_user(user)
    payload = body() if callable(body) else body
    payload = _fill(payload, ids) if payload is not None else None
    if isinstance(payload, dict) and payload.get("organization"):
        payload["organization"] = int(payload["organization"])
    multipart = isinstance(payload, dict) and "file" in payload
    before = _fingerprint()
    response = getattr(client, method)(_fill(path, ids), payload, format="multipart" if multipart else "json")
    if status < 300:
        assert response.status_code == status, (name, role, response.content)
    else:
        assert_error(response, status)
        assert _fingerprint() == before, f"{name} by {role} was refused but wrote something"


def test_every_registry_endpoint_is_described_in_the_openapi_schema(api):
    schema = api.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for name, method, path, _, expected in MATRIX:
        if expected["bureau"] == 405:
            continue  # a method the endpoint refuses is not described
        template = re.sub(r"\{\w+\}", "{id}", path.split("?")[0])
        operation = paths.get(template, {}).get(method)
        assert operation is not None, f"{method.upper()} {template} ({name}) is not in the schema"
        assert operation.get("summary"), f"{method.upper()} {template} has no summary"


def test_the_registry_schema_generates_without_warnings():
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include("organizations.urls"))]).get_schema(
        request=None, public=True)
    assert "/api/v1/organizations/{id}/brand/" in schema["paths"]
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache, (
        dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache))
