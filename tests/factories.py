"""factory_boy factories for the core models. Regions are imported once per test DB."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Region, StaffRole, User
from accounts.regions import regions_import
from organizations.models import Membership, Organization
from projects.models import ServiceProject, Shift

CITY = "4109"
DISTRICT = "410902"  # 华龙区
STREET = "410902001"  # 中原路街道
OTHER_STREET = "410902002"  # 胜利路街道
COMMUNITY = "410902001001"  # 京东社区
PASSWORD = "demo12345"


def region(code: str) -> Region:
    """The region ``code``, importing the demo city first if a transactional test's
    flush removed it."""
    found = Region.objects.filter(code=code).first()
    if found is None:
        regions_import(city_code=CITY)
        found = Region.objects.get(code=code)
    return found


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["phone"]

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    name = factory.Sequence(lambda n: f"志愿者{n}")
    volunteer_number = factory.Sequence(lambda n: f"T{n:010d}")
    password = factory.django.Password(PASSWORD)


class StaffFactory(UserFactory):
    staff_role = StaffRole.BUREAU
    region = factory.LazyFunction(lambda: region(CITY))


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试社会工作服务中心{n}")
    org_type = Organization.Type.NON_ENTERPRISE
    registration_status = Organization.Registration.REGISTERED
    region = factory.LazyFunction(lambda: region(STREET))


def social_worker(organization: Organization | None = None, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, organization=organization or OrganizationFactory(),
                              role=Membership.Role.SOCIAL_WORKER)
    return user


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceProject

    organization = factory.SubFactory(OrganizationFactory)
    owner = factory.LazyAttribute(lambda o: social_worker(o.organization))
    title = factory.Sequence(lambda n: f"社区服务项目{n}")
    description = "测试项目"
    region = factory.LazyFunction(lambda: region(STREET))
    address = "中原路街道京东社区"
    status = ServiceProject.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    project = factory.SubFactory(ProjectFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=3))
    capacity = 5
