"""Minors: a project's minimum age, and a guardian's consent under the consent age,
both checked at sign-up from the real-name birth date; nothing is written on refusal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.exceptions import Forbidden
from notifications.models import Notification
from projects.models import Shift, Signup
from tests.api.test_real_name import verified
from tests.conftest import assert_error
from tests.factories import ShiftFactory, UserFactory
from volunteers.eligibility import volunteer_eligibility_check
from volunteers.models import GuardianConsent

pytestmark = pytest.mark.django_db

CONSENT_URL = "/api/v1/me/guardian-consent/"
GUARDIAN = {"guardian_name": "张父", "guardian_phone": "13912345678", "relationship": "父亲"}


def sign_up(client, shift):
    return client.post(f"/api/v1/shifts/{shift.id}/signups/", format="json")


def assert_refused(client, shift, volunteer, code):
    """Refused with ``code``, and no sign-up, seat, queue place or notification written."""
    assert_error(sign_up(client, shift), 403, code)
    shift.refresh_from_db()
    assert not Signup.objects.filter(volunteer=volunteer).exists()
    assert (shift.confirmed_count, shift.waitlisted_count, shift.waitlist_seq) == (0, 0, 0)
    assert not Notification.objects.filter(recipient=volunteer).exists()


def consent(client, **extra):
    return client.post(CONSENT_URL, {**GUARDIAN, **extra}, format="json")


def test_a_volunteer_under_the_minimum_age_is_refused(client_for):
    volunteer = verified(age=15)
    shift = ShiftFactory(project__min_age=16)
    assert_refused(client_for(volunteer), shift, volunteer, "under_age")


def test_a_volunteer_old_enough_signs_up(client_for):
    volunteer = verified(age=16)
    shift = ShiftFactory(project__min_age=16)
    response = sign_up(client_for(volunteer), shift)
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "confirmed"


def test_a_minimum_age_needs_real_name_data(client_for):
    volunteer = UserFactory()
    shift = ShiftFactory(project__min_age=16)
    assert_refused(client_for(volunteer), shift, volunteer, "real_name_required")


def test_without_a_minimum_age_nobody_is_asked_for_real_name_data(client_for):
    response = sign_up(client_for(UserFactory()), ShiftFactory())
    assert response.status_code == 201, response.content


def test_the_age_counts_on_the_day_of_the_shift(client_for):
    volunteer = verified(age=16, days=3)  # turns 16 in three days
    client = client_for(volunteer)
    soon = ShiftFactory(project__min_age=16, starts_at=timezone.now() + timedelta(days=1))
    assert_refused(client, soon, volunteer, "under_age")
    later = ShiftFactory(project__min_age=16, starts_at=timezone.now() + timedelta(days=5))
    assert sign_up(client, later).status_code == 201


def test_a_minor_under_the_consent_age_needs_a_guardians_consent(client_for):
    volunteer = verified(age=12)
    client = client_for(volunteer)
    shift = ShiftFactory()
    assert_refused(client, shift, volunteer, "guardian_consent_required")

    response = consent(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["guardian_name"] == "张父" and body["guardian_phone"] == "13912345678"
    assert body["consented_at"] and body["withdrawn_at"] is None
    assert sign_up(client, shift).status_code == 201


def test_a_withdrawn_consent_no_longer_counts(client_for):
    volunteer = verified(age=12)
    client = client_for(volunteer)
    consent(client)
    assert client.delete(CONSENT_URL).status_code == 204
    assert_error(client.delete(CONSENT_URL), 404)
    assert_refused(client, ShiftFactory(), volunteer, "guardian_consent_required")


def test_a_minor_above_the_consent_age_needs_no_consent(client_for):
    assert sign_up(client_for(verified(age=15)), ShiftFactory()).status_code == 201


def test_the_consent_age_is_configurable(client_for, settings):
    settings.MINOR_CONSENT_AGE = 16
    volunteer = verified(age=15)
    assert_refused(client_for(volunteer), ShiftFactory(), volunteer, "guardian_consent_required")


def test_a_minor_with_consent_is_still_held_to_the_minimum_age(client_for):
    volunteer = verified(age=12)
    client = client_for(volunteer)
    consent(client)
    assert_refused(client, ShiftFactory(project__min_age=14), volunteer, "under_age")


def test_the_check_reads_the_project_alone():
    project = ShiftFactory(project__min_age=18).project
    volunteer_eligibility_check(volunteer=verified(age=18), project=project)
    with pytest.raises(Forbidden) as refused:
        volunteer_eligibility_check(volunteer=verified(age=17, sequence="124"), project=project)
    assert refused.value.code == "under_age"


# --- the consent endpoint ---------------------------------------------------------------------

def test_the_consent_status_tells_whether_one_is_needed(client_for):
    assert client_for(UserFactory()).get(CONSENT_URL).json() == {"consent_age": 14, "required": None,
                                                                "consent": None}
    assert client_for(verified(age=20)).get(CONSENT_URL).json()["required"] is False
    minor = client_for(verified(age=10, sequence="222"))
    assert minor.get(CONSENT_URL).json()["required"] is True
    consent(minor)
    assert minor.get(CONSENT_URL).json()["consent"]["guardian_name"] == "张父"


def test_a_new_consent_replaces_the_current_one_on_record(client_for):
    volunteer = verified(age=12)
    client = client_for(volunteer)
    consent(client)
    consent(client, guardian_name="张母", guardian_phone="13812345678", relationship="母亲")
    assert client.get(CONSENT_URL).json()["consent"]["guardian_name"] == "张母"
    rows = GuardianConsent.objects.filter(volunteer=volunteer)
    assert rows.count() == 2 and rows.filter(withdrawn_at__isnull=True).count() == 1


def test_consent_needs_real_name_data_and_a_minor(client_for):
    assert_error(consent(client_for(UserFactory())), 409, "real_name_required")
    assert_error(consent(client_for(verified(age=18))), 409, "not_a_minor")
    assert not GuardianConsent.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"guardian_name": ""}, "guardian_name"),
    ({"guardian_phone": "12345"}, "guardian_phone"),
    ({"guardian_phone": None}, "guardian_phone"),
    ({"relationship": "x" * 17}, "relationship"),
], ids=["no-name", "bad-phone", "no-phone", "long-relationship"])
def test_bad_consent_input_is_refused_and_nothing_is_written(client_for, change, field):
    body = assert_error(consent(client_for(verified(age=12)), **change), 400, "invalid")
    assert field in body["fields"]
    assert not GuardianConsent.objects.exists()


def test_the_guardian_is_not_the_minor_themselves(client_for):
    volunteer = verified(UserFactory(phone="13912345678"), age=12)
    body = assert_error(consent(client_for(volunteer)), 400, "invalid")
    assert "guardian_phone" in body["fields"] and not GuardianConsent.objects.exists()


def test_anonymous_users_and_other_methods_are_refused(api, client_for):
    assert_error(api.get(CONSENT_URL), 401)
    assert_error(api.post(CONSENT_URL, GUARDIAN, format="json"), 401)
    assert_error(api.delete(CONSENT_URL), 401)
    assert_error(client_for(verified(age=12)).put(CONSENT_URL, GUARDIAN, format="json"), 405)
    assert not GuardianConsent.objects.exists()


def test_a_refused_sign_up_leaves_a_full_shift_and_its_waitlist_untouched(client_for):
    shift = ShiftFactory(capacity=1, project__min_age=16)
    first = verified(age=30, sequence="301")
    assert sign_up(client_for(first), shift).status_code == 201
    minor = verified(age=12, sequence="302")
    assert_error(sign_up(client_for(minor), shift), 403, "under_age")
    assert Shift.objects.filter(id=shift.id, confirmed_count=1, waitlisted_count=0, waitlist_seq=0).exists()
    assert not Signup.objects.filter(volunteer=minor).exists()
