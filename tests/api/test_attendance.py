from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from notifications.models import Notification
from projects.checkin import checkin_code_for
from projects.models import Attendance, Shift, Signup
from tests.conftest import assert_error
from tests.factories import ShiftFactory, UserFactory, social_worker
from volunteers.models import ServiceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_shift():
    """A shift in progress with one confirmed volunteer."""
    shift = ShiftFactory(capacity=3)
    Shift.objects.filter(id=shift.id).update(starts_at=timezone.now() - timedelta(minutes=30),
                                             ends_at=timezone.now() + timedelta(hours=2), confirmed_count=1)
    shift.refresh_from_db()
    volunteer = UserFactory()
    Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    return shift, volunteer


def test_the_project_social_worker_gets_a_rotating_code(client_for, live_shift):
    shift, _ = live_shift
    body = client_for(shift.project.owner).get(f"/api/v1/shifts/{shift.id}/checkin-code/").json()
    assert body["code"].startswith(f"{shift.id}-")
    assert body["expires_at"] > timezone.now().isoformat()
    assert 1 <= body["refresh_after"] <= 30


def test_nobody_else_gets_the_code(api, client_for, live_shift):
    shift, volunteer = live_shift
    url = f"/api/v1/shifts/{shift.id}/checkin-code/"
    assert_error(api.get(url), 401)
    assert_error(client_for(volunteer).get(url), 403)
    assert_error(client_for(social_worker()).get(url), 403)
    assert_error(client_for(volunteer).get("/api/v1/shifts/999999/checkin-code/"), 404)


def test_check_in_and_out_creates_one_pending_record_after_commit(
        client_for, live_shift, django_capture_on_commit_callbacks):
    shift, volunteer = live_shift
    client = client_for(volunteer)
    code = checkin_code_for(shift_id=shift.id).code
    response = client.post("/api/v1/attendance/check-in/", {"code": code}, format="json")
    assert response.status_code == 201, response.content
    Attendance.objects.filter(id=response.json()["id"]).update(
        checked_in_at=timezone.now() - timedelta(hours=1, minutes=30))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        out = client.post("/api/v1/attendance/check-out/", {"code": code}, format="json")
    assert out.status_code == 200, out.content
    # Nothing is recorded until the transaction has committed and the task ran.
    assert not ServiceRecord.objects.exists()
    for callback in callbacks:
        callback()
    record = ServiceRecord.objects.get()
    assert record.status == "pending" and record.volunteer == volunteer
    assert Decimal("1.49") <= record.hours <= Decimal("1.51")
    assert Notification.objects.filter(kind="record_created").count() == 2  # volunteer + social worker


def test_hours_are_capped_at_the_shift_length():
    from volunteers.services import attendance_hours

    start = timezone.now()
    assert attendance_hours(checked_in_at=start, checked_out_at=start + timedelta(hours=5),
                            shift_length=timedelta(hours=3)) == Decimal("3.00")
    assert attendance_hours(checked_in_at=start, checked_out_at=start + timedelta(minutes=100),
                            shift_length=timedelta(hours=3)) == Decimal("1.66")


def test_the_record_task_run_twice_creates_one_record(live_shift):
    from volunteers.tasks import service_record_from_attendance

    shift, volunteer = live_shift
    attendance = Attendance.objects.create(signup=Signup.objects.get(), shift=shift, volunteer=volunteer,
                                           checked_in_at=timezone.now() - timedelta(hours=1),
                                           checked_out_at=timezone.now())
    first = service_record_from_attendance.apply(args=[attendance.id]).get()
    second = service_record_from_attendance.apply(args=[attendance.id]).get()
    assert first == second and ServiceRecord.objects.count() == 1
    assert Notification.objects.filter(kind="record_created").count() == 2
    assert service_record_from_attendance.apply(args=[999999]).get() is None


def test_the_sweep_recovers_attendances_whose_task_was_lost(live_shift):
    from volunteers.tasks import service_records_sweep

    shift, volunteer = live_shift
    Attendance.objects.create(signup=Signup.objects.get(), shift=shift, volunteer=volunteer,
                              checked_in_at=timezone.now() - timedelta(hours=1), checked_out_at=timezone.now())
    assert service_records_sweep.apply().get() == 1
    assert ServiceRecord.objects.count() == 1
    assert service_records_sweep.apply().get() == 0


def test_a_forged_code_is_refused(client_for, live_shift):
    shift, volunteer = live_shift
    good = checkin_code_for(shift_id=shift.id).code
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    for code in (forged, "garbage", f"{shift.id}-1-abc", ""):
        response = client_for(volunteer).post("/api/v1/attendance/check-in/", {"code": code}, format="json")
        assert_error(response, 400)
        assert response.json()["code"] in ("checkin_code_invalid", "invalid")
    assert not Attendance.objects.exists()


def test_a_stale_code_is_refused(client_for, live_shift, settings):
    shift, volunteer = live_shift
    old = checkin_code_for(shift_id=shift.id,
                           now=timezone.now() - timedelta(seconds=3 * settings.CHECKIN_CODE_WINDOW_SECONDS)).code
    assert_error(client_for(volunteer).post("/api/v1/attendance/check-in/", {"code": old}, format="json"),
                 400, "checkin_code_expired")
    assert not Attendance.objects.exists()


def test_the_previous_window_is_still_accepted(client_for, live_shift, settings):
    shift, volunteer = live_shift
    recent = checkin_code_for(shift_id=shift.id,
                              now=timezone.now() - timedelta(seconds=settings.CHECKIN_CODE_WINDOW_SECONDS)).code
    assert client_for(volunteer).post("/api/v1/attendance/check-in/", {"code": recent},
                                      format="json").status_code == 201


def test_a_code_of_another_shift_is_refused(client_for, live_shift):
    _, volunteer = live_shift
    foreign = ShiftFactory()
    code = checkin_code_for(shift_id=foreign.id).code
    assert_error(client_for(volunteer).post("/api/v1/attendance/check-in/", {"code": code}, format="json"),
                 403, "not_signed_up")
    assert_error(client_for(volunteer).post("/api/v1/attendance/check-out/", {"code": code}, format="json"),
                 403, "not_signed_up")
    assert not Attendance.objects.exists()


def test_double_check_in_and_out_are_conflicts(client_for, live_shift):
    shift, volunteer = live_shift
    client = client_for(volunteer)
    code = checkin_code_for(shift_id=shift.id).code
    assert_error(client.post("/api/v1/attendance/check-out/", {"code": code}, format="json"), 409,
                 "not_checked_in")
    client.post("/api/v1/attendance/check-in/", {"code": code}, format="json")
    assert_error(client.post("/api/v1/attendance/check-in/", {"code": code}, format="json"), 409,
                 "already_checked_in")
    client.post("/api/v1/attendance/check-out/", {"code": code}, format="json")
    assert_error(client.post("/api/v1/attendance/check-out/", {"code": code}, format="json"), 409,
                 "already_checked_out")
    assert Attendance.objects.count() == 1


def test_check_in_before_it_opens_is_refused(client_for):
    shift = ShiftFactory(starts_at=timezone.now() + timedelta(days=1))
    volunteer = UserFactory()
    Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    code = checkin_code_for(shift_id=shift.id).code
    assert_error(client_for(volunteer).post("/api/v1/attendance/check-in/", {"code": code}, format="json"),
                 409, "checkin_not_open")


def test_a_waitlisted_volunteer_cannot_check_in(client_for, live_shift):
    shift, _ = live_shift
    waiting = UserFactory()
    Signup.objects.create(shift=shift, volunteer=waiting, status="waitlisted", queue_number=1)
    code = checkin_code_for(shift_id=shift.id).code
    assert_error(client_for(waiting).post("/api/v1/attendance/check-in/", {"code": code}, format="json"),
                 403, "not_signed_up")


@pytest.mark.parametrize("payload", [{}, {"code": 123}, {"code": "x", "lat": "north"}, {"code": ["a"]}])
def test_attendance_bad_input_is_400(client_for, live_shift, payload):
    _, volunteer = live_shift
    assert_error(client_for(volunteer).post("/api/v1/attendance/check-in/", payload, format="json"), 400)
    assert not Attendance.objects.exists()


def test_roster_shows_signups_to_the_project_social_worker_only(api, client_for, live_shift):
    shift, volunteer = live_shift
    body = client_for(shift.project.owner).get(f"/api/v1/shifts/{shift.id}/roster/").json()
    assert [e["volunteer"]["id"] for e in body["signups"]] == [volunteer.id]
    assert "****" in body["signups"][0]["volunteer"]["phone_masked"]
    assert_error(client_for(volunteer).get(f"/api/v1/shifts/{shift.id}/roster/"), 403)
    assert_error(api.get(f"/api/v1/shifts/{shift.id}/roster/"), 401)


def test_a_checked_in_volunteer_cannot_cancel_and_hand_on_the_seat(client_for, live_shift):
    shift, volunteer = live_shift
    Shift.objects.filter(id=shift.id).update(starts_at=timezone.now() + timedelta(minutes=30))
    client = client_for(volunteer)
    code = checkin_code_for(shift_id=shift.id).code
    assert client.post("/api/v1/attendance/check-in/", {"code": code}, format="json").status_code == 201
    signup = Signup.objects.get(volunteer=volunteer)
    assert_error(client.post(f"/api/v1/signups/{signup.id}/cancel/"), 409, "already_checked_in")
    signup.refresh_from_db()
    assert signup.status == "confirmed"


def test_checking_out_of_a_sign_up_no_longer_confirmed_records_nothing(client_for, live_shift):
    shift, volunteer = live_shift
    client = client_for(volunteer)
    code = checkin_code_for(shift_id=shift.id).code
    client.post("/api/v1/attendance/check-in/", {"code": code}, format="json")
    Signup.objects.filter(volunteer=volunteer).update(status="cancelled")  # e.g. the project was cancelled
    assert_error(client.post("/api/v1/attendance/check-out/", {"code": code}, format="json"), 409,
                 "signup_not_confirmed")
    assert not ServiceRecord.objects.exists()
