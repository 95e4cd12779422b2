from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.regions import regions_import


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the demo city's administrative divisions
    (``tests.factories.region`` re-imports them after a transactional test's flush)."""
    with django_db_blocker.unblock():
        regions_import(city_code="4109")


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def as_user(user) -> APIClient:
    """A client that authenticates like an outside API client: a Bearer token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return client


@pytest.fixture
def client_for():
    return as_user


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Every failure has the contract's shape: {code, detail, fields} and a 4xx."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "detail", "fields"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["fields"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body
