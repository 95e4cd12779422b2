from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import StaffRole, User
from organizations.models import Membership, Organization
from projects.models import ServiceProject, Shift, Signup
from volunteers.models import ServiceRecord

pytestmark = pytest.mark.django_db

DEMO_STAFF = {
    "13800000000": StaffRole.BUREAU,
    "13800000001": StaffRole.STREET,
    "13800000002": StaffRole.COMMUNITY,
}


def _counts():
    return {model.__name__: model.objects.count()
            for model in (User, Organization, Membership, ServiceProject, Shift, Signup, ServiceRecord)}


def test_seed_demo_creates_the_demo_accounts_and_a_live_first_screen():
    call_command("seed_demo", "--volunteers", "30", stdout=StringIO())
    for phone, role in DEMO_STAFF.items():
        user = User.objects.get(phone=phone)
        assert user.staff_role == role and user.region_id and user.check_password("demo12345")
    worker = User.objects.get(phone="13800000004")
    assert Membership.objects.filter(user=worker, role=Membership.Role.SOCIAL_WORKER).exists()
    assert Membership.objects.filter(user__phone="13800000003", role=Membership.Role.ADMIN).exists()
    assert User.objects.filter(phone__startswith="1380000").filter(phone__gte="13800001000").count() == 30
    assert ServiceProject.objects.filter(status="published").exists()
    assert Shift.objects.filter(starts_at__gt=ServiceProject.objects.first().created_at).exists()
    assert ServiceRecord.objects.filter(status="approved").exists()
    # A shift in progress with volunteer 13800001000 confirmed: check-in works at once.
    assert Signup.objects.filter(volunteer__phone="13800001000", status="confirmed",
                                 shift__ends_at__gt=worker.date_joined).exists()
    for org_type in ("social_group", "non_enterprise", "foundation"):
        assert Organization.objects.filter(org_type=org_type).exists()


def test_seed_demo_twice_neither_fails_nor_duplicates():
    call_command("seed_demo", "--volunteers", "10", stdout=StringIO())
    first = _counts()
    call_command("seed_demo", "--volunteers", "10", stdout=StringIO())
    assert _counts() == first


def test_more_volunteers_can_be_added_later():
    call_command("seed_demo", "--volunteers", "5", stdout=StringIO())
    call_command("seed_demo", "--volunteers", "25", stdout=StringIO())
    volunteers = User.objects.filter(phone__gte="13800001000", phone__lt="13800002000")
    assert volunteers.count() == 25
    assert volunteers.filter(volunteer_number__isnull=True).count() == 0
