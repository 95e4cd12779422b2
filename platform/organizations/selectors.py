"""Reads of the registry, and the permission-checked fetches every write starts from.

Who may do what (DESIGN.md, issue 3): government staff act on organizations whose home
region lies under the region they govern (community staff their community, street staff
their street, bureau staff the city); an organization's admins edit its own record;
everyone else, signed in or not, sees public fields of organizations that are
registered or filed (台账 groups are internal)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Region, StaffRole, User
from accounts.selectors import staff_region
from config.exceptions import Forbidden
from organizations.conf import org_setting
from organizations.models import Membership, Organization, OrganizationEvent

PUBLIC_REGISTRATIONS = (Organization.Registration.REGISTERED, Organization.Registration.FILED)
SENIOR_STAFF = (StaffRole.STREET, StaffRole.BUREAU)


def governs(*, user: User, region_code: str) -> bool:
    """Whether a government user's jurisdiction covers ``region_code``."""
    own = staff_region(user=user)
    return own is not None and region_code.startswith(own.code)


def is_org_admin(*, user: User, organization: Organization) -> bool:
    return user.is_authenticated and Membership.objects.filter(
        user=user, organization=organization, role=Membership.Role.ADMIN).exists()


def organization_can_edit(*, user: User, organization: Organization) -> bool:
    return governs(user=user, region_code=organization.region_id) or is_org_admin(
        user=user, organization=organization)


def within_jurisdiction(*, own_code: str, region_code: str) -> bool:
    """Whether a region code lies inside a staff user's own region (the same rule for
    Django and the dashboard's ASGI fast path, ``dashboard.fastpath``)."""
    return region_code.startswith(own_code)


def jurisdiction_region(*, user: User, region_code: str | None) -> Region:
    """The region a staff user asks about, checked against their jurisdiction."""
    own = staff_region(user=user)
    if own is None:
        raise Forbidden("permission_denied", "仅民政、街道、社区工作人员可以查看")
    if not region_code:
        return own
    if not within_jurisdiction(own_code=own.code, region_code=region_code):
        raise Forbidden("outside_jurisdiction", "该区划不在您的管辖范围内",
                        fields={"region": ["不在管辖范围内"]})
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise Forbidden("outside_jurisdiction", "区划不存在或不在管辖范围内",
                        fields={"region": ["区划不存在"]})
    return region


_BOOL_FILTERS = ("is_community", "is_brand")
_CHOICE_FILTERS = {
    "org_type": Organization.Type, "registration_status": Organization.Registration,
    "authority_level": Organization.Authority, "tier": Organization.Tier,
    "status": Organization.Status, "party_building": Organization.PartyBuilding,
}


def organization_list(*, user: User, params) -> tuple[QuerySet[Organization], bool]:
    """Organizations a user may list and whether they see full records.

    Staff list their jurisdiction with every field; everyone else the public registry."""
    qs = Organization.objects.select_related("region")
    own = staff_region(user=user)
    full = own is not None
    region = params.get("region")
    if full:
        scope = jurisdiction_region(user=user, region_code=region).code if region else own.code
        qs = qs.filter(region__code__startswith=scope)
    else:
        qs = qs.filter(registration_status__in=PUBLIC_REGISTRATIONS)
        if region:
            qs = qs.filter(region__code__startswith=region)
    if search := params.get("search"):
        qs = qs.filter(Q(name__icontains=search) | Q(credit_code=search.upper()))
    for name, choices in _CHOICE_FILTERS.items():
        value = params.get(name)
        if value in choices.values:
            qs = qs.filter(**{name: value})
    for name in _BOOL_FILTERS:
        if params.get(name) in ("1", "true"):
            qs = qs.filter(**{name: True})
        elif params.get(name) in ("0", "false"):
            qs = qs.filter(**{name: False})
    if params.get("ready_to_register") in ("1", "true"):
        qs = qs.filter(ready_to_register_q())
    if params.get("domain"):
        # JSON containment is not portable to SQLite; a quoted match is, for these slugs.
        qs = qs.filter(service_domains__icontains=f'"{params["domain"]}"')
    return qs, full


def ready_to_register_q() -> Q:
    return Q(registration_status=Organization.Registration.FILED) & (
        Q(individual_members__gte=org_setting("REGISTRATION_MIN_INDIVIDUAL_MEMBERS"))
        | Q(unit_members__gte=org_setting("REGISTRATION_MIN_UNIT_MEMBERS")))


def organization_for_viewer(*, user: User, organization_id: int) -> tuple[Organization, bool]:
    """An organization and whether ``user`` sees its full record; 404 when hidden."""
    org = (Organization.objects.select_related("region", "venue")
           .prefetch_related("inspections")
           .filter(id=organization_id).first())
    if org is None:
        raise Http404
    full = organization_can_edit(user=user, organization=org)
    if not full and org.registration_status not in PUBLIC_REGISTRATIONS:
        raise Http404
    return org, full


def organization_for_editor(*, user: User, organization_id: int, lock: bool = False) -> Organization:
    """An organization that ``user`` may edit (governing staff or its admin)."""
    org = _fetch(organization_id=organization_id, lock=lock)
    if not organization_can_edit(user=user, organization=org):
        if org.registration_status not in PUBLIC_REGISTRATIONS:
            raise Http404  # a ledger group is not public: don't confirm that it exists
        raise Forbidden("permission_denied", "没有权限修改该组织")
    return org


def organization_for_staff(*, user: User, organization_id: int, lock: bool = False,
                           roles: tuple[str, ...] = tuple(StaffRole.values)) -> Organization:
    """An organization under ``user``'s jurisdiction, for staff of one of ``roles``."""
    org = _fetch(organization_id=organization_id, lock=lock)
    if not governs(user=user, region_code=org.region_id):
        raise Forbidden("permission_denied", "该组织不在您的管辖范围内")
    if user.staff_role not in roles:
        raise Forbidden("permission_denied", "您的角色不能执行此操作")
    return org


def _fetch(*, organization_id: int, lock: bool) -> Organization:
    qs = Organization.objects.select_related("region")
    if lock:
        qs = qs.select_for_update(of=("self",))
    org = qs.filter(id=organization_id).first()
    if org is None:
        raise Http404
    return org


def organization_events(*, organization: Organization) -> QuerySet[OrganizationEvent]:
    return organization.events.select_related("actor")


# Projects a brand may show: the public ones (a draft or cancelled project is not).
BRAND_PROJECT_STATUSES = ("published", "closed")


def brand_list() -> QuerySet[Organization]:
    return (Organization.objects.select_related("region")
            .filter(is_brand=True, status=Organization.Status.ACTIVE)
            .prefetch_related("brand_projects"))


def brand_for_viewer(*, user: User, organization_id: int) -> tuple[Organization, bool]:
    """One organization's brand data and whether ``user`` may edit it. Editors
    (governing staff, its admins) see it whatever the flag; everyone else only the
    showcase of an active brand organization, else 404."""
    org = (Organization.objects.select_related("region").prefetch_related("brand_projects")
           .filter(id=organization_id).first())
    if org is None:
        raise Http404
    if organization_can_edit(user=user, organization=org):
        return org, True
    if (org.is_brand and org.status == Organization.Status.ACTIVE
            and org.registration_status in PUBLIC_REGISTRATIONS):
        return org, False
    raise Http404


def brand_project_choices(*, organization: Organization) -> QuerySet:
    """The organization's projects that its brand may link, newest first."""
    from projects.models import ServiceProject

    return (ServiceProject.objects.filter(organization=organization, status__in=BRAND_PROJECT_STATUSES)
            .order_by("-id").only("id", "title", "status"))


def filing_list(*, user: User, status: str | None = None) -> QuerySet:
    """Staff: applications in their jurisdiction; everyone else: their own."""
    from organizations.models import FilingApplication

    qs = FilingApplication.objects.select_related("region", "applicant")
    own = staff_region(user=user)
    qs = qs.filter(region__code__startswith=own.code) if own is not None else qs.filter(applicant=user)
    if status in FilingApplication.Status.values:
        qs = qs.filter(status=status)
    return qs


def filing_for_viewer(*, user: User, filing_id: int):
    """An application its applicant or governing staff may see; 404 for anyone else."""
    from organizations.models import FilingApplication

    application = (FilingApplication.objects.select_related("region", "applicant")
                   .prefetch_related("steps__actor").filter(id=filing_id).first())
    if application is None or not (application.applicant_id == user.id
                                   or governs(user=user, region_code=application.region_id)):
        raise Http404
    return application
