import pytest

from notifications.models import Notification
from notifications.services import notification_send
from tests.conftest import assert_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _notes(user, n):
    return [notification_send(recipient_id=user.id, kind="signup_confirmed", title=f"t{i}") for i in range(n)]


def test_inbox_is_newest_first_with_unread_count(client_for):
    user = UserFactory()
    notes = _notes(user, 3)
    _notes(UserFactory(), 2)
    body = client_for(user).get("/api/v1/notifications/").json()
    assert [r["id"] for r in body["results"]] == [n.id for n in reversed(notes)]
    assert body["unread"] == 3


def test_catch_up_after_an_id_is_oldest_first(client_for):
    user = UserFactory()
    notes = _notes(user, 4)
    body = client_for(user).get(f"/api/v1/notifications/?after={notes[1].id}").json()
    assert [r["id"] for r in body["results"]] == [notes[2].id, notes[3].id]
    assert_error(client_for(user).get("/api/v1/notifications/?after=x"), 400, "invalid")


def test_mark_read_touches_only_my_notifications(client_for):
    user, other = UserFactory(), UserFactory()
    mine = _notes(user, 2)
    theirs = _notes(other, 1)
    body = client_for(user).post("/api/v1/notifications/mark-read/",
                                 {"ids": [mine[0].id, theirs[0].id]}, format="json").json()
    assert body == {"updated": 1}
    assert Notification.objects.get(id=theirs[0].id).read_at is None
    assert Notification.objects.get(id=mine[0].id).read_at is not None


@pytest.mark.parametrize("payload", [{}, {"ids": []}, {"ids": "1"}, {"ids": ["a"]}, {"ids": [0]}])
def test_mark_read_rejects_bad_input(client_for, payload):
    user = UserFactory()
    _notes(user, 1)
    assert_error(client_for(user).post("/api/v1/notifications/mark-read/", payload, format="json"), 400, "invalid")
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_notifications_need_a_login(api):
    assert_error(api.get("/api/v1/notifications/"), 401)
    assert_error(api.post("/api/v1/notifications/mark-read/", {"ids": [1]}, format="json"), 401)
