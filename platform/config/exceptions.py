"""One error shape for every API failure: ``{"code", "detail", "fields"}`` with a 4xx."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class DomainError(exceptions.APIException):
    """A business rule said no. Raised by services with a machine code and Chinese text."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"
    default_detail = "请求无法完成"

    def __init__(self, code: str, detail: str, *, fields: dict[str, Any] | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(detail=detail, code=code)
        self.code = code
        self.fields = fields or {}
        if status_code is not None:
            self.status_code = status_code


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN


_GENERIC = {
    exceptions.NotAuthenticated: ("not_authenticated", "请先登录"),
    exceptions.AuthenticationFailed: ("authentication_failed", "登录已失效，请重新登录"),
    exceptions.PermissionDenied: ("permission_denied", "没有权限执行此操作"),
    exceptions.NotFound: ("not_found", "未找到"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法"),
    exceptions.ParseError: ("parse_error", "请求内容不是有效的 JSON"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "不支持的请求内容类型"),
    exceptions.Throttled: ("throttled", "请求过于频繁，请稍后再试"),
    exceptions.NotAcceptable: ("not_acceptable", "无法提供请求的格式"),
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _pool_exhausted(exc: Exception) -> bool:
    """Every pooled connection stayed busy past the pool's timeout (a rush on one shift)."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # SQLite-only installs have no pool
        return False
    return isinstance(exc, OperationalError) and isinstance(exc.__cause__, PoolTimeout)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if _pool_exhausted(exc):
        # Not a bug but overload: the request wrote nothing (no connection, no transaction),
        # so the client may simply try again; a 500 would say the opposite.
        return Response({"code": "busy", "detail": "系统繁忙，请稍后重试", "fields": {}},
                        status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "2"})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "detail": str(exc.detail), "fields": _flatten(exc.fields)}
    elif isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = _flatten(detail)
        else:
            fields = {"non_field_errors": _flatten(detail if isinstance(detail, list) else [detail])}
        first = next(iter(fields.values()), ["提交的数据有误"])
        plain = isinstance(first, list) and first and isinstance(first[0], str)
        message = first[0] if plain else "提交的数据有误"
        body = {"code": "invalid", "detail": message, "fields": fields}
    else:
        code, text = next(
            ((c, t) for klass, (c, t) in _GENERIC.items() if isinstance(exc, klass)),
            (getattr(exc, "default_code", "error"), str(getattr(exc, "detail", "请求无法完成"))),
        )
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            text = f"请求过于频繁，请 {int(exc.wait) + 1} 秒后再试"
        body = {"code": code, "detail": text, "fields": {}}
    response.data = body
    return response


def json_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse({"code": "not_found", "detail": "未找到", "fields": {}}, status=404)


def json_server_error(request) -> JsonResponse:
    return JsonResponse({"code": "server_error", "detail": "服务器内部错误", "fields": {}}, status=500)
