"""An ASGI layer in front of Django that answers the dashboard's cached figures without
Django: GET participation/trends/top/registry/live with ``Authorization: Bearer <token>``.

Why: at 50 clients that never pause the two cores must serve ≈ 500 requests a second
for a p95 under 100 ms (issue 7); a DRF request with token authentication costs
13–35 ms of CPU here, this path well under one (docs/benchmarks.md).

It decides nothing Django would decide differently, and otherwise hands the request to
Django unchanged ("falls through"):

* the token's identity — (user id, staff role, region) — comes from the key
  ``accounts.services.token_identity_publish`` writes after login and the revocations
  in ``accounts.signals`` delete (logout, token deleted, role/region/active changed);
  no identity → Django (401, or 403 for non-staff);
* the region must be inside the user's region by ``organizations.selectors.within_jurisdiction``,
  the rule ``jurisdiction_region`` applies; outside → Django (its 403 in the standard shape);
* the query is understood only in the plain form the serializers would read the same
  way (digits, ISO dates, ``source=rollup``, ``limit`` 1–50, each at most once); any
  other parameter, encoding or value → Django (which validates or ignores it);
* the answer is the JSON bytes Django stored under the same key for the current
  generation of the rollups (``dashboard.api.answer_key``/``registry_key``; today's live
  counters under their own version, ``live_key``); absent →
  Django, which computes and stores them;
* cookies, other methods or paths, an ``Accept`` other than JSON, a host Django would
  refuse, a request Django would redirect to HTTPS, any Redis error → Django.

Without a Redis cache (embedded mode) it is off.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import date

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisSerializer
from django.http.request import split_domain_port, validate_host
from django.utils import timezone
from rest_framework.settings import api_settings

from accounts.authentication import bearer_identity_key
from dashboard.api import answer_key, live_key, registry_key
from dashboard.rollups import GENERATION_KEY, LIVE_VERSION_KEY
from dashboard.serializers import MAX_DAYS, TopQuerySerializer
from organizations.selectors import within_jurisdiction

log = logging.getLogger(__name__)

PREFIX = "/api/v1/dashboard/"
PERIOD_PARAMS = frozenset({"region", "from", "to", "source"})
ENDPOINTS = {  # path → (answer name, accepted parameters)
    PREFIX + "participation/": ("participation", PERIOD_PARAMS),
    PREFIX + "trends/": ("trends", PERIOD_PARAMS),
    PREFIX + "top/": ("top", PERIOD_PARAMS | {"limit"}),
    PREFIX + "registry/": ("registry", frozenset({"region"})),
    PREFIX + "live/": ("live", frozenset({"region"})),
}
# The middleware whose headers ``_headers`` repeats. Another list (CORS, GZip, ETags…)
# would change Django's answers: the fast path then stays off rather than differ.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# What browsers, fetch and axios send by default; anything else (another type, an
# ``indent`` parameter DRF's JSON renderer would honour) goes to Django's negotiation.
ACCEPTS = frozenset({b"*/*", b"application/json", b"application/json, text/plain, */*"})
QUERY_CHARS = re.compile(r"[A-Za-z0-9_.=&-]*")
REGION = re.compile(r"[0-9]{1,12}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LIMIT = re.compile(r"[0-9]{1,2}")
# The serializer's own bounds, so the two paths cannot drift apart.
_LIMIT_FIELD = TopQuerySerializer().fields["limit"]
DEFAULT_LIMIT, MIN_LIMIT, MAX_LIMIT = _LIMIT_FIELD.default, _LIMIT_FIELD.min_value, _LIMIT_FIELD.max_value


def _headers(*, secure: bool, cache_header: bool, length: int) -> list[tuple[bytes, bytes]]:
    """The headers Django's answer carries, in its order: DRF's (no ``Vary``: the API
    has one renderer outside DEBUG, and a bearer request never touches the session),
    then the clickjacking, common and security middleware's."""
    headers = [(b"content-type", b"application/json")]
    if cache_header:
        headers.append((b"x-dashboard-cache", b"hit"))
    headers.append((b"allow", b"GET, HEAD, OPTIONS"))
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode()))
    headers.append((b"content-length", str(length).encode()))
    if settings.SECURE_HSTS_SECONDS and secure:
        sts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            sts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            sts += "; preload"
        headers.append((b"strict-transport-security", sts.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        policy = ",".join(v.strip() for v in (policy.split(",") if isinstance(policy, str) else policy))
        headers.append((b"referrer-policy", policy.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append((b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode()))
    return headers


def parse_query(query: bytes, accepted: frozenset) -> dict[str, str] | None:
    """``name=value&…`` in the plain form only; None for anything else."""
    try:
        text = query.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not QUERY_CHARS.fullmatch(text):
        return None
    params: dict[str, str] = {}
    if not text:
        return params
    for part in text.split("&"):
        name, eq, value = part.partition("=")
        if not eq or name not in accepted or name in params:
            return None
        params[name] = value
    return params


def _iso_date(value: str) -> date | None:
    if not ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def period_of(params: dict[str, str]) -> tuple[date, date] | None:
    """``from``/``to`` exactly as ``PeriodQuerySerializer`` reads and defaults them."""
    first = last = None
    if "from" in params and (first := _iso_date(params["from"])) is None:
        return None
    if "to" in params and (last := _iso_date(params["to"])) is None:
        return None
    today = timezone.localdate()
    first = first or date(today.year, 1, 1)
    last = last or date(first.year, 12, 31)
    if last < first or (last - first).days > MAX_DAYS:
        return None  # Django's 400
    return first, last


def _cache_redis_url() -> str:
    """The Redis of Django's default cache, where the answers, the generation and the
    identities are: the fast path must read that store and no other ("" → off)."""
    config = settings.CACHES["default"]
    location = config.get("LOCATION")
    if "redis" not in config["BACKEND"].lower() or not isinstance(location, str) or "," in location:
        return ""  # embedded mode's memory cache, or several servers: off
    return location


class DashboardFastPath:
    def __init__(self, app, *, redis_url: str | None = None):
        self.app = app
        self.redis_url = _cache_redis_url() if redis_url is None else redis_url
        self.serializer = RedisSerializer()
        self._clients: dict[asyncio.AbstractEventLoop, object] = {}
        self._make_key = None

    def make_key(self, key: str) -> str:
        """The Django cache's full key (prefix, version). Taken from one backend object
        made for the purpose: ``django.core.cache.cache`` would build a new one in every
        request's context."""
        if self._make_key is None:
            self._make_key = caches.create_connection("default").make_key
        return self._make_key(key)

    @property
    def enabled(self) -> bool:
        # With a second renderer (the browsable API in DEBUG) Django negotiates and
        # answers ``Vary: Accept``; the fast path knows only the JSON answer.
        return (bool(self.redis_url) and len(api_settings.DEFAULT_RENDERER_CLASSES) == 1
                and list(settings.MIDDLEWARE) == MIDDLEWARE)

    def _redis(self):
        # One client (and connection pool) per event loop: each uvicorn worker has its
        # own; tests run several loops in one process.
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import redis.asyncio

            # A Redis that hangs must not hang the request: past the timeout Django answers.
            client = redis.asyncio.Redis.from_url(self.redis_url, socket_timeout=1, socket_connect_timeout=1)
            self._clients = {k: v for k, v in self._clients.items() if not k.is_closed()}
            self._clients[loop] = client
        return client

    async def __call__(self, scope, receive, send):
        if (scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in ENDPOINTS
                and self.enabled):
            try:
                answer = await self.answer(scope)
            except Exception:  # Redis down or the like: Django answers (and reports its own errors)
                log.warning("dashboard fast path failed; falling through", exc_info=True)
                answer = None
            if answer is not None:
                headers, body = answer
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _secure(self, scope, headers: dict[bytes, bytes]) -> bool:
        """``HttpRequest.is_secure``: the proxy's header when present, else the scheme."""
        proxy = settings.SECURE_PROXY_SSL_HEADER
        if proxy:
            name, value = proxy
            got = headers.get(name.removeprefix("HTTP_").replace("_", "-").lower().encode())
            if got is not None:
                return got.decode("latin-1").split(",", 1)[0].strip() == value
        return scope.get("scheme") == "https"

    def _host_allowed(self, headers: dict[bytes, bytes]) -> bool:
        if settings.USE_X_FORWARDED_HOST or settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS:
            return False  # Django's rules for those are not repeated here
        host = headers.get(b"host")
        if not host:
            return False
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        domain, _ = split_domain_port(host.decode("latin-1"))
        return bool(domain) and validate_host(domain, allowed)

    async def answer(self, scope) -> tuple[list, bytes] | None:
        name, accepted = ENDPOINTS[scope["path"]]
        headers: dict[bytes, bytes] = {}
        for key, value in scope["headers"]:
            if key in headers:  # a repeated header: Django's reading of it is not ours to guess
                return None
            headers[key] = value
        if b"cookie" in headers or headers.get(b"accept", b"*/*") not in ACCEPTS:
            return None
        auth = headers.get(b"authorization", b"").split()
        if len(auth) != 2 or auth[0].lower() != b"bearer":
            return None
        if not self._host_allowed(headers):
            return None
        secure = self._secure(scope, headers)
        if settings.SECURE_SSL_REDIRECT and not secure:
            return None
        params = parse_query(scope.get("query_string", b""), accepted)
        if params is None:
            return None
        region = params.get("region")
        if region is not None and not REGION.fullmatch(region):
            return None
        if name not in ("registry", "live"):
            if params.get("source", "rollup") != "rollup":
                return None
            period = period_of(params)
            if period is None:
                return None
            limit = ""
            if name == "top":
                limit = DEFAULT_LIMIT
                if "limit" in params:
                    if not LIMIT.fullmatch(params["limit"]) or not MIN_LIMIT <= int(params["limit"]) <= MAX_LIMIT:
                        return None
                    limit = int(params["limit"])
        try:
            token = auth[1].decode()
        except UnicodeError:
            return None
        redis = self._redis()
        version_key = LIVE_VERSION_KEY if name == "live" else GENERATION_KEY
        identity, version = await redis.mget(self.make_key(bearer_identity_key(token)), self.make_key(version_key))
        if identity is None or version is None:
            return None
        _, role, own = self.serializer.loads(identity)
        if not role or not own:
            return None  # not staff: Django's 403
        code = region or own
        if not within_jurisdiction(own_code=own, region_code=code):
            return None  # Django's 403 outside_jurisdiction
        if name == "registry":
            key = registry_key(code)
        elif name == "live":
            key = live_key(version=int(self.serializer.loads(version)), region_code=code,
                           day=timezone.localdate())
        else:
            key = answer_key(name, generation=int(self.serializer.loads(version)), region_code=code,
                             first=period[0], last=period[1], limit=limit)
        raw = await redis.get(self.make_key(key))
        if raw is None:
            return None
        body = self.serializer.loads(raw)
        if not isinstance(body, bytes):
            return None
        return _headers(secure=secure, cache_header=name not in ("registry", "live"), length=len(body)), body

