"""How the API answers when the database pool is exhausted versus a real database error."""

import pytest
from django.db import OperationalError
from psycopg_pool import PoolTimeout
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView


class _Raises(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    error: Exception = RuntimeError("set by as_view")

    def get(self, request):
        raise self.error


def _call(error: Exception):
    view = _Raises.as_view(error=error)
    return view(APIRequestFactory().get("/x/"))


def _wrapped(cause: Exception) -> OperationalError:
    # Django wraps driver errors the same way: the driver's exception is the __cause__.
    try:
        raise OperationalError("couldn't get a connection") from cause
    except OperationalError as exc:
        return exc


def test_an_exhausted_pool_is_a_503_with_retry_after_in_the_error_shape():
    response = _call(_wrapped(PoolTimeout("couldn't get a connection after 10.00 sec")))
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.data == {"code": "busy", "detail": "系统繁忙，请稍后重试", "fields": {}}


def test_any_other_database_error_still_surfaces_as_a_server_error():
    with pytest.raises(OperationalError):
        _call(_wrapped(RuntimeError("server closed the connection unexpectedly")))
