"""Dashboard endpoints: thin views over ``dashboard.selectors``. Access: staff roles
only, inside their own region (``organizations.selectors.jurisdiction_region``)."""

from __future__ import annotations

import json

from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import token_identity_publish
from dashboard import exports, rollups, selectors
from dashboard.serializers import (
    ExportQuerySerializer,
    PeriodQuerySerializer,
    ReportQuerySerializer,
    TopQuerySerializer,
)
from organizations.selectors import jurisdiction_region
from organizations.stats import organization_stats

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD_PARAMS = [OpenApiParameter("region", str), OpenApiParameter("from", OpenApiTypes.DATE),
                 OpenApiParameter("to", OpenApiTypes.DATE), OpenApiParameter("source", str, enum=["rollup", "raw"])]
# The registry changes by the day, not the second; its stats over a whole city cost a
# few tens of milliseconds, so the dashboard keeps them for a minute.
REGISTRY_CACHE_SECONDS = 60


# Rollup figures change only when a rollup is written; every writer bumps the
# generation (``rollups.generation_bump``), so a cached answer is never older than the
# rollups it came from. Raw answers read the live tables and are never cached.
RESPONSE_CACHE_SECONDS = 300
# Today's counters: cached under their own version (``rollups.live_version``), bumped by
# every check-in/out and recompute after commit.
LIVE_CACHE_SECONDS = 60


def answer_key(name: str, *, generation: int, region_code: str, first, last, limit="") -> str:
    """Cache key of one rendered answer; ``dashboard.fastpath`` builds the same key."""
    return f"dashboard:{generation}:{name}:{region_code}:{first}:{last}:{limit}"


def live_key(*, version: int, region_code: str, day) -> str:
    return f"dashboard:live:{version}:{region_code}:{day}"


def registry_key(region_code: str) -> str:
    return f"dashboard:registry-json:{region_code}"


def render(body: dict) -> bytes:
    """The answer's JSON exactly as the response renders it (one renderer: the API's
    only one outside DEBUG), stored so that the ASGI fast path can send the bytes."""
    return JSONRenderer().render(body)


def _cached(name: str, region, data: dict, compute) -> Response:
    if data.get("source") == "raw":
        return Response(compute())
    period = data["period"]
    key = answer_key(name, generation=rollups.generation(), region_code=region.code, first=period.first,
                     last=period.last, limit=data.get("limit", ""))
    raw = cache.get(key)
    hit = isinstance(raw, bytes)  # an entry of the earlier format (a dict) counts as a miss
    if hit:
        body = json.loads(raw)  # JSON round-trips these bodies exactly: same bytes again
    else:
        body = compute()
        cache.set(key, render(body), RESPONSE_CACHE_SECONDS)
    response = Response(body)
    response["X-Dashboard-Cache"] = "hit" if hit else "miss"
    return response


def _publish_identity(request) -> None:
    """A token used before its identity was published (logged in before the fast path
    existed, or the identity expired) is published here, so its next cache hits take the
    fast path; the check after the write keeps revocation exact (see the service)."""
    if isinstance(request.auth, Token):
        token_identity_publish(token_key=request.auth.key, user=request.user, only_if_absent=True)


def _parsed(request, serializer_class):
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    region = jurisdiction_region(user=request.user, region_code=data.get("region"))
    _publish_identity(request)
    return region, data


def registry_figures(region) -> dict:
    key = f"dashboard:registry:{region.code}"
    figures = cache.get(key)
    if figures is None:
        figures = {**organization_stats(region=region), "grades": selectors.grades(region=region)}
        # Both forms written together so that they expire together.
        cache.set_many({key: figures, registry_key(region.code): render(figures)}, REGISTRY_CACHE_SECONDS)
    return figures


class ParticipationApi(APIView):
    @extend_schema(parameters=PERIOD_PARAMS, responses=OpenApiTypes.OBJECT, summary="志愿服务参与度（区划、期间）")
    def get(self, request):
        region, data = _parsed(request, PeriodQuerySerializer)
        return _cached("participation", region, data, lambda: selectors.participation(
            region=region, period=data["period"], source=data["source"]))


class TrendsApi(APIView):
    @extend_schema(parameters=PERIOD_PARAMS, responses=OpenApiTypes.OBJECT, summary="月度趋势")
    def get(self, request):
        region, data = _parsed(request, PeriodQuerySerializer)
        return _cached("trends", region, data, lambda: selectors.trends(region=region, period=data["period"]))


class TopApi(APIView):
    @extend_schema(parameters=[*PERIOD_PARAMS, OpenApiParameter("limit", int)], responses=OpenApiTypes.OBJECT,
                   summary="最活跃的组织和项目")
    def get(self, request):
        region, data = _parsed(request, TopQuerySerializer)
        return _cached("top", region, data, lambda: selectors.top(region=region, period=data["period"],
                                                                  limit=data["limit"]))


class RegistryApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("region", str)], responses=OpenApiTypes.OBJECT,
                   summary="社会组织类型×登记状态、社区覆盖率、评估等级")
    def get(self, request):
        region = jurisdiction_region(user=request.user, region_code=request.query_params.get("region"))
        _publish_identity(request)
        raw = cache.get(registry_key(region.code))
        return Response(json.loads(raw) if isinstance(raw, bytes) else registry_figures(region))


class LiveApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("region", str)], responses=OpenApiTypes.OBJECT,
                   summary="今日签到人次与时长（实时推送见 /ws/dashboard/live/）")
    def get(self, request):
        region = jurisdiction_region(user=request.user, region_code=request.query_params.get("region"))
        _publish_identity(request)
        # The version is read before the counters: a write committing in between leaves
        # this answer under a version that is already gone.
        day = timezone.localdate()
        key = live_key(version=rollups.live_version(), region_code=region.code, day=day)
        raw = cache.get(key)
        if isinstance(raw, bytes):
            return Response(json.loads(raw))
        frame = selectors.live(region=region, day=day)
        cache.set(key, render(frame), LIVE_CACHE_SECONDS)
        return Response(frame)


def _sheets(region, period) -> dict:
    registry = registry_figures(region)  # already holds the grades: no second read
    return exports.tables(participation=selectors.participation(region=region, period=period),
                          trends=selectors.trends(region=region, period=period),
                          top=selectors.top(region=region, period=period),
                          registry=registry, grades=registry["grades"])


class ExportApi(APIView):
    @extend_schema(parameters=[*PERIOD_PARAMS, OpenApiParameter("chart", str, enum=list(exports.SHEETS))],
                   responses={(200, XLSX): OpenApiTypes.BINARY}, summary="导出图表数据（.xlsx）")
    def get(self, request):
        region, data = _parsed(request, ExportQuerySerializer)
        period = data["period"]
        content = exports.workbook_xlsx(_sheets(region, period), only=data.get("chart"))
        response = HttpResponse(content, content_type=XLSX)
        name = f"dashboard-{region.code}-{period.first:%Y%m%d}-{period.last:%Y%m%d}-{data.get('chart') or 'all'}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ReportApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("region", str), OpenApiParameter("month", str)],
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY}, summary="月度报告（PDF）")
    def get(self, request):
        region, data = _parsed(request, ReportQuerySerializer)
        period = data["period"]
        title = f"{region.name}志愿服务参与度月报（{period.first:%Y年%m月}）"
        content = exports.report_pdf(sheets=_sheets(region, period), title=title)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="report-{region.code}-{period.first:%Y%m}.pdf"'
        return response
