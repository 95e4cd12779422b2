"""Reads for projects, shifts and sign-ups, including the permission-checked fetches."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from math import cos, radians

from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import StaffRole, User
from config.exceptions import Forbidden
from organizations.models import Membership
from projects.models import ServiceProject, Shift, Signup


def is_project_manager(*, user: User, project: ServiceProject) -> bool:
    """The project's own social worker, or an admin of its organization."""
    if project.owner_id == user.id:
        return True
    return Membership.objects.filter(user=user, organization_id=project.organization_id,
                                     role=Membership.Role.ADMIN).exists()


REVIEW_BY_ORG_ADMIN = "org_admin"
REVIEW_BY_STREET = "street"


def review_mode(*, region_code: str) -> str:
    """Who reviews projects in ``region_code``: the longest matching prefix of
    ``settings.PROJECT_REVIEWERS``, else the organization's admin."""
    rules = settings.PROJECT_REVIEWERS
    prefix = max((p for p in rules if region_code.startswith(p)), key=len, default=None)
    return rules[prefix] if prefix is not None else REVIEW_BY_ORG_ADMIN


def project_reviewers(*, project: ServiceProject) -> QuerySet[User]:
    if review_mode(region_code=project.region_id) == REVIEW_BY_STREET:
        containing = [project.region_id[:n] for n in range(1, len(project.region_id) + 1)]
        return User.objects.filter(staff_role=StaffRole.STREET, region_id__in=containing, is_active=True)
    return User.objects.filter(memberships__organization_id=project.organization_id,
                               memberships__role=Membership.Role.ADMIN, is_active=True).distinct()


def is_project_reviewer(*, user: User, project: ServiceProject) -> bool:
    if not user.is_authenticated:
        return False
    if review_mode(region_code=project.region_id) == REVIEW_BY_STREET:
        return (user.staff_role == StaffRole.STREET and bool(user.region_id)
                and project.region_id.startswith(user.region_id))
    return Membership.objects.filter(user=user, organization_id=project.organization_id,
                                     role=Membership.Role.ADMIN).exists()


def _street_reviewed() -> Q | None:
    """The regions ``review_mode`` gives to the street office, as a filter on
    the region code: under a "street" prefix and not under a longer prefix of the rules
    (the longest matching prefix wins there). None when no region is street-reviewed."""
    rules = settings.PROJECT_REVIEWERS
    street_q = None
    for prefix, mode in rules.items():
        if mode != REVIEW_BY_STREET:
            continue
        here = Q(region__code__startswith=prefix)
        for longer in rules:
            if len(longer) > len(prefix) and longer.startswith(prefix):
                here &= ~Q(region__code__startswith=longer)
        street_q = here if street_q is None else street_q | here
    return street_q


def project_review_queue(*, user: User) -> QuerySet[ServiceProject]:
    """The submitted projects ``user`` may publish or send back: the same answer per
    project as ``is_project_reviewer``, but as one query for the reviewer's list.
    Oldest submission first, so that nothing waits longest at the bottom."""
    qs = ServiceProject.objects.select_related("organization", "owner", "region", "team").filter(
        status=ServiceProject.Status.SUBMITTED)
    if not user.is_authenticated:
        return qs.none()
    street_q = _street_reviewed()
    admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values("organization_id")
    mine = Q(organization_id__in=admin_of)
    if street_q is not None:
        mine &= ~street_q
        if user.staff_role == StaffRole.STREET and user.region_id:
            mine |= street_q & Q(region__code__startswith=user.region_id)
    now = timezone.now()
    return (qs.filter(mine)
            .annotate(upcoming_shift_count=Count("shifts", filter=Q(shifts__starts_at__gt=now), distinct=True))
            .order_by("submitted_at", "id"))


def project_visible(*, user: User, project_id: int) -> ServiceProject:
    """Published projects are public; drafts only to their managers and reviewers
    (others get 404)."""
    project = (ServiceProject.objects.select_related("organization", "owner", "region", "team")
               .filter(id=project_id).first())
    if project is None:
        raise Http404
    if project.status != ServiceProject.Status.PUBLISHED and not (
        user.is_authenticated and (is_project_manager(user=user, project=project)
                                   or is_project_reviewer(user=user, project=project))
    ):
        raise Http404
    return project


def project_for_publisher(*, user: User, project_id: int) -> ServiceProject:
    """A manager (who may submit) or a reviewer (who may publish) of the project."""
    project = ServiceProject.objects.select_related("organization", "owner", "region", "team").filter(
        id=project_id).first()
    if project is None:
        raise Http404
    if is_project_manager(user=user, project=project) or is_project_reviewer(user=user, project=project):
        return project
    if project.status == ServiceProject.Status.PUBLISHED:
        raise Forbidden("permission_denied", "只有项目负责社工、组织管理员或审核人可以操作")
    raise Http404


def project_for_reviewer(*, user: User, project_id: int) -> ServiceProject:
    project = project_for_publisher(user=user, project_id=project_id)
    if not is_project_reviewer(user=user, project=project):
        raise Forbidden("not_reviewer", "您不是该项目的审核人")
    return project


def project_for_manager(*, user: User, project_id: int, lock: bool = False) -> ServiceProject:
    qs = ServiceProject.objects.select_related("organization", "owner", "region", "team")
    if lock:
        qs = qs.select_for_update(of=("self",))
    project = qs.filter(id=project_id).first()
    if project is None:
        raise Http404
    if not is_project_manager(user=user, project=project):
        if project.status == ServiceProject.Status.PUBLISHED:
            raise Forbidden("permission_denied", "只有项目负责社工或组织管理员可以操作")
        raise Http404
    return project


def shift_for_manager(*, user: User, shift_id: int) -> Shift:
    shift = Shift.objects.select_related("project").filter(id=shift_id).first()
    if shift is None:
        raise Http404
    project_for_manager(user=user, project_id=shift.project_id)
    return shift


def signup_for_manager(*, user: User, signup_id: int) -> Signup:
    """A sign-up of a project that ``user`` manages; anyone else gets 404 (a volunteer
    cannot learn of other people's sign-ups)."""
    signup = Signup.objects.select_related("shift__project").filter(id=signup_id).first()
    if signup is None or not is_project_manager(user=user, project=signup.shift.project):
        raise Http404
    return signup


def _waitlist_position() -> Subquery:
    ahead = (
        Signup.objects.filter(shift_id=OuterRef("shift_id"), status=Signup.Status.WAITLISTED,
                              queue_number__lte=OuterRef("queue_number"))
        .order_by().values("shift_id").annotate(n=Count("id")).values("n")
    )
    return Subquery(ahead)


def waitlist_position(*, signup: Signup) -> int | None:
    if signup.status != Signup.Status.WAITLISTED:
        return None
    return Signup.objects.filter(shift_id=signup.shift_id, status=Signup.Status.WAITLISTED,
                                 queue_number__lte=signup.queue_number).count()


def project_list(*, user: User, region: str | None = None, near: tuple[float, float] | None = None,
                 skill: str | None = None, target: str | None = None, status: str | None = None,
                 starts_after: datetime | None = None, mine: bool = False) -> QuerySet[ServiceProject]:
    qs = ServiceProject.objects.select_related("organization", "owner", "region", "team")
    if mine:
        admin_of = Membership.objects.filter(user=user, role=Membership.Role.ADMIN).values("organization_id")
        qs = qs.filter(Q(owner=user) | Q(organization_id__in=admin_of))
        if status:
            qs = qs.filter(status=status)
    else:
        # Only published projects are public, whatever status was asked for.
        qs = qs.filter(status=status if status in ("published", "closed") else "published")
    if region:
        qs = qs.filter(region__code__startswith=region)
    if skill:
        qs = qs.filter(skills__icontains=f'"{skill}"')
    if target:
        qs = qs.filter(targets__icontains=f'"{target}"')
    now = timezone.now()
    qs = qs.annotate(upcoming_shift_count=Count("shifts", filter=Q(shifts__starts_at__gt=now),
                                                distinct=True))
    if starts_after:
        qs = qs.filter(id__in=Shift.objects.filter(starts_at__gte=starts_after).values("project_id"))
    if near:
        lat, lng = near
        # Equirectangular distance: exact enough within a city, and plain arithmetic
        # that SQLite and PostgreSQL both order by without extensions.
        k = cos(radians(lat))
        dlat = Coalesce(F("lat"), Decimal(999)) - Decimal(str(lat))
        dlng = (Coalesce(F("lng"), Decimal(999)) - Decimal(str(lng))) * Decimal(str(k))
        qs = qs.annotate(
            distance_sq=ExpressionWrapper(dlat * dlat + dlng * dlng, output_field=FloatField())
        ).order_by("distance_sq", "-id")
    else:
        qs = qs.order_by("-id")
    return qs


def shift_list(*, user: User, project: ServiceProject, when: str = "upcoming") -> QuerySet[Shift]:
    """Shifts not yet over by default (``when=past`` or ``all`` for the others)."""
    qs = project.shifts.all()
    now = timezone.now()
    if when == "upcoming":
        qs = qs.filter(ends_at__gt=now)
    elif when == "past":
        qs = qs.filter(ends_at__lte=now)
    return qs.order_by("starts_at", "id")


def my_signups_by_shift(*, user: User, shift_ids: list[int]) -> dict[int, Signup]:
    if not user.is_authenticated:
        return {}
    rows = Signup.objects.filter(volunteer=user, shift_id__in=shift_ids,
                                 status__in=Signup.ACTIVE).annotate(position=_waitlist_position())
    return {row.shift_id: row for row in rows}


def signup_list_mine(*, user: User) -> QuerySet[Signup]:
    return (
        Signup.objects.filter(volunteer=user)
        .select_related("shift__project", "attendance")
        .annotate(position=_waitlist_position())
        .order_by("-id")
    )


def roster(*, shift: Shift) -> QuerySet[Signup]:
    no_shows = (Signup.objects.filter(volunteer_id=OuterRef("volunteer_id"), no_show_at__isnull=False)
                .order_by().values("volunteer_id").annotate(n=Count("id")).values("n"))
    return (
        shift.signups.exclude(status=Signup.Status.CANCELLED)
        .select_related("volunteer", "attendance")
        .annotate(position=_waitlist_position(), volunteer_no_shows=Coalesce(Subquery(no_shows), 0))
        .order_by("status", "queue_number", "id")
    )


def invitation_list_mine(*, user: User, state: str | None = None) -> QuerySet:
    """The volunteer's invitations, newest first; ``state=open`` keeps those still
    answerable (open and not past their shift's sign-up close)."""
    from projects.models import ShiftInvitation

    qs = (ShiftInvitation.objects.filter(volunteer=user)
          .select_related("shift__project", "invited_by", "signup").order_by("-id"))
    if state == "open":
        qs = qs.filter(status=ShiftInvitation.Status.OPEN, expires_at__gt=timezone.now())
    return qs


def shift_invitations(*, shift: Shift) -> QuerySet:
    from projects.models import ShiftInvitation

    return ShiftInvitation.objects.filter(shift=shift).select_related("volunteer", "signup").order_by("-id")
