import re

import pytest
from rest_framework.authtoken.models import Token

from accounts.models import SmsCode, User
from accounts.sms import LocmemBackend
from organizations.models import Membership
from tests.conftest import assert_error
from tests.factories import OrganizationFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sms_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    """An SMS leaves after its transaction commits; make each request's commit count."""
    LocmemBackend.outbox.clear()
    from rest_framework.test import APIClient

    post = APIClient.post

    def post_and_commit(self, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(self, *args, **kwargs)

    monkeypatch.setattr(APIClient, "post", post_and_commit)


def _sent_code(phone: str) -> str:
    sent = [text for to, text in LocmemBackend.outbox if to == phone]
    assert sent, "no SMS was sent"
    return re.search(r"\b(\d{6})\b", sent[-1])[1]


def _register(api, phone="13912345678", password="S3cure-pass", name="张三", code=None):
    if code is None:
        assert api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json").status_code == 202
        code = _sent_code(phone)
    return api.post("/api/v1/auth/register/",
                    {"phone": phone, "password": password, "name": name, "sms_code": code}, format="json")


def test_a_resident_registers_with_the_code_sent_by_sms(api):
    response = _register(api)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["phone"] == "13912345678" and body["name"] == "张三"
    assert body["roles"] == ["volunteer"]
    user = User.objects.get(phone="13912345678")
    assert user.volunteer_number and user.check_password("S3cure-pass")


def test_registration_with_a_wrong_code_writes_no_user_and_counts_the_attempt(api):
    api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json")
    real = _sent_code("13912345678")
    wrong = "000000" if real != "000000" else "111111"
    assert_error(_register(api, code=wrong), 400, "sms_code_invalid")
    assert not User.objects.filter(phone="13912345678").exists()
    assert SmsCode.objects.get(phone="13912345678").attempts == 1


def test_a_code_is_locked_after_too_many_wrong_guesses(api, settings):
    api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json")
    real = _sent_code("13912345678")
    wrong = "000000" if real != "000000" else "111111"
    for _ in range(settings.SMS_CODE_MAX_ATTEMPTS):
        _register(api, code=wrong)
    assert_error(_register(api, code=real), 400, "sms_code_invalid")
    assert not User.objects.filter(phone="13912345678").exists()


def test_a_code_cannot_be_used_twice(api):
    api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json")
    code = _sent_code("13912345678")
    assert _register(api, code=code).status_code == 201
    User.objects.filter(phone="13912345678").delete()
    assert_error(_register(api, code=code), 400, "sms_code_invalid")


def test_codes_cannot_be_requested_again_within_a_minute(api):
    assert api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json").status_code == 202
    assert_error(api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json"), 429,
                 "sms_too_frequent")
    assert SmsCode.objects.filter(phone="13912345678").count() == 1


@pytest.mark.parametrize("payload, field", [
    ({"phone": "12345"}, "phone"),
    ({"phone": "23912345678"}, "phone"),
    ({}, "phone"),
])
def test_sms_code_rejects_bad_phone_numbers(api, payload, field):
    body = assert_error(api.post("/api/v1/auth/sms-code/", payload, format="json"), 400, "invalid")
    assert field in body["fields"]
    assert not SmsCode.objects.exists()


def test_registering_a_taken_phone_is_a_conflict_and_keeps_the_code(api):
    UserFactory(phone="13912345678")
    api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json")
    code = _sent_code("13912345678")
    assert_error(_register(api, code=code), 409, "phone_taken")
    assert SmsCode.objects.get(phone="13912345678").used_at is None


@pytest.mark.parametrize("payload", [
    {"phone": "13912345678", "password": "S3cure-pass", "name": "张三"},
    {"phone": "13912345678", "password": "short", "name": "张三", "sms_code": "123456"},
    {"phone": "13912345678", "password": "S3cure-pass", "name": "", "sms_code": "123456"},
    {"phone": "13912345678", "password": "S3cure-pass", "name": "张三", "sms_code": "12ab56"},
    {"phone": ["13912345678"], "password": 1, "name": {}, "sms_code": 5},
])
def test_registration_rejects_bad_input_and_writes_nothing(api, payload):
    assert_error(api.post("/api/v1/auth/register/", payload, format="json"), 400, "invalid")
    assert not User.objects.exists()


def test_malformed_json_is_a_parse_error(api):
    response = api.post("/api/v1/auth/register/", data="{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_login_returns_a_token_and_starts_a_session(api):
    user = UserFactory(phone="13912345678", name="李四")
    response = api.post("/api/v1/auth/login/", {"phone": "13912345678", "password": "demo12345"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token"] == Token.objects.get(user=user).key
    assert body["user"]["id"] == user.id and body["user"]["roles"] == ["volunteer"]
    assert "sessionid" in response.cookies
    # The session alone authenticates the browser.
    assert api.get("/api/v1/me/").json()["id"] == user.id


def test_bearer_token_authenticates_api_clients(api):
    user = UserFactory()
    token = api.post("/api/v1/auth/login/", {"phone": user.phone, "password": "demo12345"},
                     format="json").json()["token"]
    api.logout()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/me/").json()["id"] == user.id


def test_wrong_password_is_refused(api):
    UserFactory(phone="13912345678")
    assert_error(api.post("/api/v1/auth/login/", {"phone": "13912345678", "password": "nope"}, format="json"),
                 400, "invalid_credentials")


def test_anonymous_me_is_401_and_a_bad_token_is_401(api):
    assert_error(api.get("/api/v1/me/"), 401, "not_authenticated")
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert_error(api.get("/api/v1/me/"), 401, "authentication_failed")


def test_logout_revokes_the_token(api, client_for):
    user = UserFactory()
    client = client_for(user)
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert not Token.objects.filter(user=user).exists()
    assert_error(client.get("/api/v1/me/"), 401)


def test_me_lists_roles_region_and_organizations(client_for):
    org = OrganizationFactory(name="春晖社工")
    staff = StaffFactory()
    Membership.objects.create(user=staff, organization=org, role=Membership.Role.SOCIAL_WORKER)
    body = client_for(staff).get("/api/v1/me/").json()
    assert body["roles"] == ["volunteer", "social_worker", "bureau_staff"]
    assert body["region"] == {"code": "4109", "name": "濮阳市"}
    assert body["organizations"] == [{"id": org.id, "name": "春晖社工", "role": "social_worker"}]


def test_wrong_method_is_405_with_the_error_shape(client_for):
    assert_error(client_for(UserFactory()).delete("/api/v1/me/"), 405, "method_not_allowed")


def test_ws_ticket_is_one_time(client_for):
    from accounts.services import ws_ticket_consume

    user = UserFactory()
    ticket = client_for(user).post("/api/v1/ws-ticket/").json()["ticket"]
    assert ws_ticket_consume(key=ticket) == user
    assert ws_ticket_consume(key=ticket) is None
    assert ws_ticket_consume(key="forged") is None


def test_ws_ticket_needs_a_login(api):
    assert_error(api.post("/api/v1/ws-ticket/"), 401)


def test_unknown_api_path_is_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_phone_is_locked_after_ten_wrong_passwords(api, settings):
    from django.core.cache import cache

    cache.clear()
    UserFactory(phone="13912345678")
    wrong = {"phone": "13912345678", "password": "guess"}
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert_error(api.post("/api/v1/auth/login/", wrong, format="json"), 400, "invalid_credentials")
    right = {"phone": "13912345678", "password": "demo12345"}
    assert_error(api.post("/api/v1/auth/login/", right, format="json"), 429, "too_many_attempts")
    assert not Token.objects.exists()
    # Another phone is not affected, and a success clears a phone's count.
    other = UserFactory(phone="13912345679")
    assert api.post("/api/v1/auth/login/", {"phone": other.phone, "password": "demo12345"},
                    format="json").status_code == 200
    cache.clear()


def test_an_expired_ws_ticket_is_refused(client_for):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import WsTicket
    from accounts.services import ws_ticket_consume

    ticket = client_for(UserFactory()).post("/api/v1/ws-ticket/").json()["ticket"]
    WsTicket.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ws_ticket_consume(key=ticket) is None


def test_an_expired_sms_code_is_refused(api):
    from datetime import timedelta

    from django.utils import timezone

    api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json")
    code = _sent_code("13912345678")
    SmsCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(_register(api, code=code), 400, "sms_code_invalid")
    assert not User.objects.filter(phone="13912345678").exists()
