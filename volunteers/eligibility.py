"""Who may sign up for a project, by age: the project's minimum age, and a guardian's
consent under ``settings.MINOR_CONSENT_AGE``. Ages come from real-name data only (the
birth date in the resident ID number); nothing else is trusted for them."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import RealName, User
from config.exceptions import Forbidden
from volunteers.models import GuardianConsent

ADULT_AGE = 18


def _day(on: date | datetime | None) -> date:
    if on is None:
        return timezone.localdate()
    if isinstance(on, datetime):
        return timezone.localtime(on).date()
    return on


def volunteer_eligibility_check(*, volunteer: User, project, on: date | datetime | None = None) -> None:
    """Raise unless ``volunteer`` may sign up for ``project`` on ``on`` (the shift's start;
    default today). Reads only: the caller holds the volunteer's user row lock when it
    matters (sign-up), which real-name and consent writes take too.

    - ``real_name_required``: the project has a minimum age and the volunteer has no
      real-name data (without it a volunteer's age is unknown, and nothing else is asked);
    - ``under_age``: younger than the project's minimum age;
    - ``guardian_consent_required``: under the consent age with no current consent."""
    min_age = getattr(project, "min_age", None)
    real_name = RealName.objects.filter(user_id=volunteer.id).only("user_id", "birth_date").first()
    if real_name is None:
        if min_age:
            raise Forbidden("real_name_required", f"该项目要求年满 {min_age} 周岁，请先完成实名认证",
                            fields={"real_name": ["未实名认证"]})
        return
    age = real_name.age_on(_day(on))
    if min_age and age < min_age:
        raise Forbidden("under_age", f"该项目要求年满 {min_age} 周岁，您暂不符合报名条件")
    if age < settings.MINOR_CONSENT_AGE and not GuardianConsent.objects.filter(
            volunteer_id=volunteer.id, withdrawn_at__isnull=True).exists():
        raise Forbidden("guardian_consent_required",
                        f"未满 {settings.MINOR_CONSENT_AGE} 周岁的志愿者须先登记监护人同意，才能报名")

