"""The dashboard's ASGI fast path (``dashboard.fastpath``) against Django itself, on a
real Redis: for every role, region and period it answers exactly what Django answers
(status, bytes, headers) or hands the request to Django; a logged-out, deleted or
demoted token is refused at once; a rollup write or a check-in shows at the next
request; anything
it does not fully understand reaches Django.

Needs Redis (``FASTPATH_REDIS_URL``, else ``INTEGRATION_REDIS_URL``, default
redis://127.0.0.1:6379): skipped without it, failed with ``REQUIRE_SERVICES=1``. Keys
live under a prefix of their own, deleted at the end; nothing else in Redis is touched.
"""

from __future__ import annotations

import os
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import redis
from asgiref.sync import async_to_sync
from django.core.asgi import get_asgi_application
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.authentication import bearer_identity_key
from accounts.models import StaffRole
from config.asgi import django_asgi_app
from dashboard import rollups
from dashboard.fastpath import DashboardFastPath
from tests.factories import (
    CITY,
    COMMUNITY,
    DISTRICT,
    OTHER_STREET,
    STREET,
    OrganizationFactory,
    ProjectFactory,
    ShiftFactory,
    StaffFactory,
    UserFactory,
    region,
)
from volunteers.models import ServiceRecord

REDIS_URL = os.environ.get("FASTPATH_REDIS_URL") or os.environ.get("INTEGRATION_REDIS_URL",
                                                                    "redis://127.0.0.1:6379")
pytestmark = pytest.mark.django_db(transaction=True)
YEAR = timezone.localdate().year
PERIODS = ["", f"&from={YEAR}-01-01&to={YEAR}-12-31", f"&from={YEAR}-04-01&to={YEAR}-06-30",
           f"&from={YEAR}-03-01&to={YEAR}-03-31", f"&from={YEAR - 1}-01-01"]


@pytest.fixture(autouse=True)
def redis_cache(settings):
    """The Django cache on Redis, as in full mode, under a prefix of this run's own."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but Redis at {REDIS_URL} is unreachable: {exc}", pytrace=False)
        pytest.skip(f"the fast path tests need Redis at {REDIS_URL} (set REQUIRE_SERVICES=1 to fail instead)")
    prefix = f"fastpath-test-{secrets.token_hex(6)}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_URL, "KEY_PREFIX": prefix}}
    yield
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


class Spy:
    """Counts the requests that reach Django."""

    def __init__(self, app):
        self.app, self.calls = app, 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture
def stack():
    django = Spy(django_asgi_app)
    return DashboardFastPath(django, redis_url=REDIS_URL), django


def fetch(app, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"

    async def go():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.request(method, path, headers=headers, **kwargs)
        if isinstance(app, DashboardFastPath):
            for client in app._clients.values():
                await client.aclose()
            app._clients.clear()
        return response

    return async_to_sync(go)()


def login(app, user) -> str:
    response = fetch(app, "POST", "/api/v1/auth/login/", json={"phone": user.phone, "password": "demo12345"})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def comparable(response: httpx.Response) -> tuple:
    return response.status_code, response.content, sorted(response.headers.multi_items())


def assert_fast_equals_django(stack, path: str, token: str | None, headers=None) -> httpx.Response:
    """First request: Django computes and stores. Second: the fast path, if it may
    answer. Third: Django alone. The second and third must be indistinguishable."""
    fast, django = stack
    first = fetch(fast, "GET", path, token, headers=dict(headers or {}))
    before = django.calls
    second = fetch(fast, "GET", path, token, headers=dict(headers or {}))
    served_fast = django.calls == before
    third = fetch(django, "GET", path, token, headers=dict(headers or {}))
    assert comparable(second) == comparable(third), path
    assert first.status_code == second.status_code and first.content == second.content
    return second, served_fast


def final_record(*, project, day: date, hours: str) -> ServiceRecord:
    starts = timezone.make_aware(datetime(day.year, day.month, day.day, 9))
    shift = ShiftFactory(project=project, starts_at=starts, ends_at=starts + timedelta(hours=4), capacity=10)
    now = timezone.now()
    return ServiceRecord.objects.create(
        volunteer=UserFactory(), shift=shift, project=project, organization=project.organization,
        started_at=starts, ended_at=starts + timedelta(hours=float(hours)), hours=Decimal(hours),
        status="approved", reviewed_by=project.owner, reviewed_at=now, notice_ends_at=now, finalized_at=now)


@pytest.fixture
def figures():
    """A few final records in two streets, so that the answers are not all zeros."""
    org = OrganizationFactory(region=region(STREET))
    projects = [ProjectFactory(organization=org, region=region(COMMUNITY)),
                ProjectFactory(organization=OrganizationFactory(region=region(OTHER_STREET)),
                               region=region(OTHER_STREET))]
    records = [final_record(project=projects[0], day=date(YEAR, 3, 5), hours="2.50"),
               final_record(project=projects[1], day=date(YEAR, 5, 9), hours="4.00")]
    rollups.facts_apply(record_ids=[r.id for r in records])
    rollups.volunteers_refresh()
    rollups.schedule_refresh(year=YEAR)
    return projects


STAFF = [  # role, own region, regions asked about (inside, then outside)
    (StaffRole.BUREAU, CITY, [None, CITY, DISTRICT, STREET, COMMUNITY], ["4101", "41"]),
    (StaffRole.STREET, STREET, [None, STREET, COMMUNITY], [OTHER_STREET, DISTRICT]),
    (StaffRole.COMMUNITY, COMMUNITY, [None, COMMUNITY], [STREET, "410902001002"]),
]


@pytest.mark.parametrize(("role", "own", "inside", "outside"), STAFF)
def test_each_staff_role_gets_exactly_what_django_answers(stack, figures, role, own, inside, outside):
    token = login(stack[0], StaffFactory(staff_role=role, region=region(own)))
    fast_answers = 0
    for code in inside:
        region_q = f"region={code}" if code else ""
        for period in PERIODS:
            query = (region_q + period).lstrip("&")
            for endpoint in ("participation", "trends", "top"):
                response, served_fast = assert_fast_equals_django(
                    stack, f"/api/v1/dashboard/{endpoint}/?{query}", token)
                assert response.status_code == 200 and served_fast, (endpoint, query)
                assert response.headers["x-dashboard-cache"] == "hit"
                fast_answers += 1
        for endpoint in ("registry", "live"):
            response, served_fast = assert_fast_equals_django(stack, f"/api/v1/dashboard/{endpoint}/?{region_q}",
                                                              token)
            assert response.status_code == 200 and served_fast
    for code in outside:  # Django's 403, in the standard shape
        for endpoint in ("participation", "registry", "live"):
            response, served_fast = assert_fast_equals_django(
                stack, f"/api/v1/dashboard/{endpoint}/?region={code}", token)
            assert response.status_code == 403 and not served_fast
            assert response.json()["code"] == "outside_jurisdiction"
    assert fast_answers == len(inside) * len(PERIODS) * 3


def test_the_figures_are_real(stack, figures):
    token = login(stack[0], StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    response, served_fast = assert_fast_equals_django(stack, f"/api/v1/dashboard/participation/?region={STREET}",
                                                      token)
    assert served_fast and response.json()["approved_hours"] == 2.5
    response, _ = assert_fast_equals_django(stack, "/api/v1/dashboard/top/?limit=1", token)
    assert len(response.json()["projects"]) == 1


@pytest.mark.parametrize("who", ["resident", "anonymous", "bad token"])
def test_non_staff_and_anonymous_reach_django_and_get_its_answer(stack, who):
    token = {"resident": lambda: login(stack[0], UserFactory()), "anonymous": lambda: None,
             "bad token": lambda: "0" * 40}[who]()
    for endpoint in ("participation", "trends", "top", "registry", "live"):
        response, served_fast = assert_fast_equals_django(stack, f"/api/v1/dashboard/{endpoint}/", token)
        assert not served_fast
        assert response.status_code == (403 if who == "resident" else 401)


def test_after_logout_the_token_is_refused_at_once(stack):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    path = "/api/v1/dashboard/participation/"
    assert fetch(fast, "GET", path, token).status_code == 200
    calls = django.calls
    assert fetch(fast, "GET", path, token).status_code == 200 and django.calls == calls  # the fast path
    assert fetch(fast, "POST", "/api/v1/auth/logout/", token).status_code == 204
    assert cache.get(bearer_identity_key(token)) is None
    response = fetch(fast, "GET", path, token)
    assert response.status_code == 401
    assert response.content == fetch(django, "GET", path, token).content


def test_a_deleted_token_or_a_changed_role_region_or_activity_is_refused_at_once(stack):
    fast, _ = stack
    path = "/api/v1/dashboard/participation/?region=" + STREET
    user = StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY))
    token = login(fast, user)
    assert fetch(fast, "GET", path, token).status_code == 200
    user.staff_role = StaffRole.NONE
    user.region = None
    user.save()
    assert fetch(fast, "GET", path, token).status_code == 403
    user.staff_role, user.region = StaffRole.STREET, region(OTHER_STREET)
    user.save(update_fields=["staff_role", "region"])
    fetch(fast, "GET", "/api/v1/dashboard/participation/", token)  # republished by Django's answer
    assert cache.get(bearer_identity_key(token)) is not None
    assert fetch(fast, "GET", path, token).json()["code"] == "outside_jurisdiction"
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert fetch(fast, "GET", "/api/v1/dashboard/participation/", token).status_code == 401
    user.is_active = True
    user.save(update_fields=["is_active"])
    token = login(fast, user)
    assert fetch(fast, "GET", "/api/v1/dashboard/participation/", token).status_code == 200
    user.auth_token.delete()
    assert cache.get(bearer_identity_key(token)) is None
    assert fetch(fast, "GET", "/api/v1/dashboard/participation/", token).status_code == 401


def test_a_token_from_before_is_published_by_django_then_served_fast(stack):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    cache.delete(bearer_identity_key(token))  # as for a token issued before the fast path existed
    path = "/api/v1/dashboard/trends/"
    assert fetch(fast, "GET", path, token).status_code == 200
    calls = django.calls
    assert fetch(fast, "GET", path, token).status_code == 200 and django.calls == calls


def test_after_a_rollup_write_the_next_answer_has_the_new_figures(stack, figures):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    path = f"/api/v1/dashboard/participation/?region={COMMUNITY}&from={YEAR}-03-01&to={YEAR}-03-31"
    assert fetch(fast, "GET", path, token).json()["approved_hours"] == 2.5
    calls = django.calls
    assert fetch(fast, "GET", path, token).json()["approved_hours"] == 2.5 and django.calls == calls
    generation = rollups.generation()
    record = final_record(project=figures[0], day=date(YEAR, 3, 20), hours="1.25")
    rollups.facts_apply(record_ids=[record.id])
    assert rollups.generation() != generation
    response = fetch(fast, "GET", path, token)
    assert response.json()["approved_hours"] == 3.75
    assert response.headers["x-dashboard-cache"] == "miss"  # Django computed it
    calls = django.calls
    assert fetch(fast, "GET", path, token).json()["approved_hours"] == 3.75 and django.calls == calls


def test_after_a_check_in_or_a_recompute_the_next_live_answer_has_the_new_counters(stack):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.STREET, region=region(STREET)))
    path = f"/api/v1/dashboard/live/?region={COMMUNITY}"
    assert fetch(fast, "GET", path, token).json()["checkins"] == 0
    calls = django.calls
    assert fetch(fast, "GET", path, token).json()["checkins"] == 0 and django.calls == calls
    with transaction.atomic():  # as dashboard.live does after the attendance commits
        rollups.live_bump(region_code=COMMUNITY, day=timezone.localdate(), checkins=1)
    response = fetch(fast, "GET", path, token)
    assert response.json()["checkins"] == 1 and django.calls == calls + 1
    assert comparable(fetch(fast, "GET", path, token)) == comparable(fetch(django, "GET", path, token))
    rollups.live_recompute(day=timezone.localdate())  # no attendances: back to nothing
    assert fetch(fast, "GET", path, token).json()["checkins"] == 0


@pytest.mark.parametrize("query", [
    "foo=1", "region=4109&region=4109", f"region=%34{CITY[1:]}", "region=4109%20", "region=", "region=41090x",
    f"from={YEAR}-1-1", f"from={YEAR}0101", "from=", "source=raw", "source=ROLLUP", "limit=10.0", "limit=0",
    "limit=51", "limit=07", f"from={YEAR}-06-01&to={YEAR}-05-01", f"from={YEAR - 6}-01-01&to={YEAR}-01-01",
    "format=json", "region=4109&", "&region=4109", "region",
])
def test_queries_it_does_not_fully_understand_reach_django(stack, query):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    for endpoint in ("top", "registry", "live"):
        path = f"/api/v1/dashboard/{endpoint}/?{query}"
        fetch(fast, "GET", path, token)
        calls = django.calls
        response = fetch(fast, "GET", path, token)
        if endpoint == "top" and query == "limit=07":  # the one plain form here: 7
            assert django.calls == calls and response.json()["projects"] == []
            continue
        assert django.calls == calls + 1, (endpoint, query)
        assert comparable(response) == comparable(fetch(django, "GET", path, token))


@pytest.mark.parametrize("extra", [
    {"Cookie": "sessionid=x"}, {"Accept": "application/json; indent=4"}, {"Accept": "text/html"},
    {"Host": "evil.example"},
])
def test_cookies_other_accepts_and_hosts_reach_django(stack, extra):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    path = "/api/v1/dashboard/participation/"
    fetch(fast, "GET", path, token)
    calls = django.calls
    response = fetch(fast, "GET", path, token, headers=dict(extra))
    assert django.calls == calls + 1
    assert comparable(response) == comparable(fetch(django, "GET", path, token, headers=dict(extra)))


def test_other_methods_and_paths_reach_django(stack):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    fetch(fast, "GET", "/api/v1/dashboard/participation/", token)
    for method, path in (("HEAD", "/api/v1/dashboard/participation/"), ("POST", "/api/v1/dashboard/participation/"),
                         ("GET", "/api/v1/dashboard/participation"), ("GET", "/api/v1/dashboard/export/")):
        calls = django.calls
        fetch(fast, method, path, token)
        assert django.calls == calls + 1, (method, path)


@pytest.mark.parametrize("change", ["debug renderer", "middleware"])
def test_it_is_off_when_django_would_answer_with_other_headers(stack, settings, change):
    fast, django = stack
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    path = "/api/v1/dashboard/participation/"
    fetch(fast, "GET", path, token)
    if change == "middleware":
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    else:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_RENDERER_CLASSES": [
            "rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"]}
    calls = django.calls
    fetch(fast, "GET", path, token)
    assert django.calls == calls + 1


def test_behind_a_tls_proxy_the_hsts_header_is_django_s(settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Django's middleware reads these settings when the handler is made: a new handler.
    django = Spy(get_asgi_application())
    stack = (DashboardFastPath(django, redis_url=REDIS_URL), django)
    fast = stack[0]
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    for proto in ("https", "http"):
        response, served_fast = assert_fast_equals_django(
            stack, "/api/v1/dashboard/participation/", token, headers={"X-Forwarded-Proto": proto})
        assert served_fast
        assert ("strict-transport-security" in response.headers) == (proto == "https")


def test_it_is_off_without_redis_and_falls_through_when_redis_fails(stack, settings):
    fast, django = stack
    assert DashboardFastPath(django).redis_url == REDIS_URL  # the default cache's Redis
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not DashboardFastPath(django).enabled  # embedded mode
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": REDIS_URL, "KEY_PREFIX": fast.make_key("x").split(":")[0]}}
    token = login(fast, StaffFactory(staff_role=StaffRole.BUREAU, region=region(CITY)))
    path = "/api/v1/dashboard/participation/"
    fetch(fast, "GET", path, token)
    for app in (DashboardFastPath(django, redis_url=""), DashboardFastPath(django, redis_url="redis://127.0.0.1:1")):
        calls = django.calls
        assert fetch(app, "GET", path, token).status_code == 200
        assert django.calls == calls + 1
