"""实名认证: resident ID numbers validated (GB 11643), encrypted at rest, unique per
account through a keyed hash, masked for everyone but the owner, never logged."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.identity import age_on, id_number_decrypt, id_number_digest, id_number_encrypt
from accounts.models import RealName
from accounts.services import real_name_verify
from tests.api.test_certificates import final_record, pdf_text
from tests.conftest import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/real-name/"
# The worked example of GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"


def id_number_for(birth: date, region: str = "410902", sequence: str = "123") -> str:
    """A valid number for ``birth``: the check character computed here, independently of
    the code under test (ISO 7064 MOD 11-2)."""
    body = f"{region}{birth:%Y%m%d}{sequence}"
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(body))
    return body + "10X98765432"[total % 11]


def years_ago(years: int, days: int = 0) -> date:
    """The date ``years`` before today, moved ``days`` later (avoids 29 February)."""
    today = timezone.localdate()
    day = today.replace(day=28) if (today.month, today.day) == (2, 29) else today
    return day.replace(year=day.year - years) + timedelta(days=days)


def verified(user=None, *, age: int = 30, days: int = 0, name: str = "张三", sequence: str = "123"):
    """A user with real-name data, ``age`` full years old (less if ``days`` > 0)."""
    user = user or UserFactory()
    real_name_verify(user=user, name=name, id_number=id_number_for(years_ago(age, days), sequence=sequence))
    return user


def test_the_check_character_helper_agrees_with_the_standard():
    assert id_number_for(date(1949, 12, 31), region="110105", sequence="002") == STANDARD_EXAMPLE


def test_a_resident_verifies_and_sees_the_full_number_only_themselves(client_for, caplog):
    user = UserFactory()
    number = id_number_for(years_ago(30, days=-3))
    client = client_for(user)
    with caplog.at_level(logging.DEBUG):
        response = client.post(URL, {"name": "张三", "id_number": number.lower()}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["verified"] is True and body["name"] == "张三" and body["id_type"] == "居民身份证"
    assert body["id_number"] == number
    assert body["id_number_masked"] == f"{number[:4]}**********{number[-4:]}"
    assert body["birth_date"] == years_ago(30, days=-3).isoformat() and body["age"] == 30
    assert client.get(URL).json() == body
    assert client.get("/api/v1/me/").json()["real_name_verified"] is True
    assert number not in caplog.text and number.lower() not in caplog.text


def test_the_number_is_stored_only_encrypted_and_hashed(client_for):
    user = UserFactory()
    number = id_number_for(date(1990, 5, 17))
    assert client_for(user).post(URL, {"name": "李四", "id_number": number}, format="json").status_code == 201
    row = RealName.objects.get(user=user)
    stored = " ".join(str(v) for v in RealName.objects.filter(user=user).values().get().values())
    assert number not in stored and number[6:14] not in row.id_number_encrypted
    assert row.id_number_digest == id_number_digest(number) != number
    assert id_number_decrypt(row.id_number_encrypted, owner_id=user.id) == number
    # Bound to its owner: the ciphertext cannot be moved to another account's row.
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        id_number_decrypt(row.id_number_encrypted, owner_id=user.id + 1)
    # Two encryptions of one number differ (random nonce); the digest does not.
    assert id_number_encrypt(number, owner_id=user.id) != row.id_number_encrypted


_GOOD = id_number_for(date(1990, 5, 17))
WRONG_CHECK = _GOOD[:17] + ("0" if _GOOD[17] != "0" else "1")


@pytest.mark.parametrize("bad", [
    "41090219900517123",  # 17 characters
    "4109021990051712345",  # 19
    "41090219900517A234",  # a letter inside
    WRONG_CHECK,
    "410902199002301239",  # 30 February
    "410902189912311234",  # born before 1900
    "991234199005171234",  # no such province
    "",
], ids=["short", "long", "letter", "check", "feb30", "1899", "province", "empty"])
def test_an_invalid_number_is_refused_and_nothing_is_written(client_for, bad, caplog):
    user = UserFactory()
    with caplog.at_level(logging.DEBUG):
        response = client_for(user).post(URL, {"name": "张三", "id_number": bad}, format="json")
    body = assert_error(response, 400)
    assert "id_number" in body["fields"]
    assert not RealName.objects.exists()
    if bad:
        assert bad not in response.content.decode() and bad not in caplog.text


def test_a_birth_date_in_the_future_is_refused(client_for):
    number = id_number_for(timezone.localdate() + timedelta(days=1))
    body = assert_error(client_for(UserFactory()).post(URL, {"name": "张三", "id_number": number}, format="json"),
                        400, "invalid_id_number")
    assert body["fields"]["id_number"] and not RealName.objects.exists()


def test_a_missing_name_is_refused(client_for):
    body = assert_error(client_for(UserFactory()).post(URL, {"id_number": STANDARD_EXAMPLE}, format="json"), 400,
                        "invalid")
    assert "name" in body["fields"] and not RealName.objects.exists()


def test_one_account_per_id_number(client_for):
    first = verified(age=25)
    number = id_number_for(years_ago(25))
    other = UserFactory()
    body = assert_error(client_for(other).post(URL, {"name": "王五", "id_number": number}, format="json"), 409,
                        "id_number_taken")
    assert "id_number" in body["fields"] and number not in str(body)
    assert list(RealName.objects.values_list("user_id", flat=True)) == [first.id]


def test_an_account_verifies_once(client_for):
    user = verified(age=40)
    assert_error(client_for(user).post(URL, {"name": "张三", "id_number": STANDARD_EXAMPLE}, format="json"), 409,
                 "real_name_already_verified")
    assert RealName.objects.count() == 1


def test_get_before_verification_says_so(client_for):
    assert client_for(UserFactory()).get(URL).json() == {
        "verified": False, "name": None, "id_type": None, "id_number": None, "id_number_masked": None,
        "birth_date": None, "age": None, "verified_at": None}


def test_anonymous_users_and_other_methods_are_refused(api):
    assert_error(api.get(URL), 401, "not_authenticated")
    assert_error(api.post(URL, {"name": "张三", "id_number": STANDARD_EXAMPLE}, format="json"), 401)
    assert not RealName.objects.exists()


def test_wrong_method_is_405(client_for):
    assert_error(client_for(UserFactory()).put(URL, {}, format="json"), 405, "method_not_allowed")
    assert_error(client_for(UserFactory()).delete(URL), 405)


def test_age_counts_full_years_and_leap_birthdays():
    assert age_on(date(2008, 2, 29), date(2022, 2, 28)) == 13
    assert age_on(date(2008, 2, 29), date(2022, 3, 1)) == 14
    assert age_on(date(2000, 6, 15), date(2018, 6, 14)) == 17
    assert age_on(date(2000, 6, 15), date(2018, 6, 15)) == 18


def test_certificates_and_the_record_show_the_masked_number_only(client_for):
    record = final_record(client_for, 2)
    volunteer = record.volunteer
    number = id_number_for(years_ago(35), sequence="456")
    real_name_verify(user=volunteer, name="赵六", id_number=number)
    masked = f"{number[:4]}**********{number[-4:]}"
    worker = client_for(record.project.owner)
    response = worker.post("/api/v1/certificates/", {"organization": record.organization_id,
                                                     "volunteer_number": volunteer.volunteer_number},
                           format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_type"] == "居民身份证" and body["id_number_masked"] == masked
    assert body["volunteer_name"] == "赵六" and number not in response.content.decode()
    text = pdf_text(worker.get(body["pdf_url"]).content)
    assert masked in text and "居民身份证" in text and number not in text
    verify = client_for(UserFactory()).get(f"/api/v1/certificates/verify/{body['verify_code']}/")
    assert number not in verify.content.decode()
    basic = client_for(volunteer).get("/api/v1/volunteers/me/record/").json()["basic"]
    assert basic["id_type"] == "居民身份证" and basic["id_number_masked"] == masked and basic["name"] == "赵六"
