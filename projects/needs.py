"""Resident needs (居民需求): reads, permission-checked fetches and status changes.

Who does what:
- a resident posts a need in a community and follows it (their own needs only);
- government staff whose jurisdiction covers the need's community (community staff of
  that community, street staff of its street, the bureau) see and triage it;
- a social worker sees the triaged needs of their organizations' areas (the region of
  each organization they work for, and everything under it) and turns one into a
  project: links one they manage, or drafts a new one through ``project_create``;
- the project's managers mark it served; the resident confirms (closes) it.

Every status change is a compare-and-set on the need's row under ``select_for_update``
(the row is locked first, then the project is read), writes one ``NeedEvent`` and
notifies the resident, all in one transaction: a refused change writes nothing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from accounts.models import Region, StaffRole, User
from accounts.selectors import staff_region
from config.exceptions import Conflict, DomainError, Forbidden
from config.uploads import files_removed_on_failure
from notifications.services import notification_send
from organizations.models import Membership, Organization
from organizations.selectors import governs
from projects.models import Need, NeedEvent, NeedPhoto, ServiceProject
from projects.selectors import is_project_manager

S = Need.Status
# A need a social worker may see: accepted by the community, and what follows from it.
WORKER_STATUSES = (S.TRIAGED, S.IN_PROGRESS, S.SERVED, S.CLOSED)
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def _setting(name: str, default):
    return getattr(settings, name, default)


def photo_limits() -> tuple[int, int]:
    """(largest photo in bytes, most photos per need)."""
    return _setting("NEED_PHOTO_MAX_BYTES", 5 * 1024 * 1024), _setting("NEED_PHOTO_MAX_COUNT", 3)


# --- who may see what --------------------------------------------------------------------

def is_staff(user: User) -> bool:
    return user.is_authenticated and user.staff_role != StaffRole.NONE and user.region_id is not None


def worker_regions(*, user: User) -> list[str]:
    """Region codes of the organizations ``user`` is a social worker of."""
    if not user.is_authenticated:
        return []
    return list(Organization.objects.filter(memberships__user=user,
                                            memberships__role=Membership.Role.SOCIAL_WORKER)
                .values_list("region_id", flat=True).distinct())


def _under_any(codes: list[str]) -> Q:
    condition = Q(pk__in=[])
    for code in codes:
        condition |= Q(region__code__startswith=code)
    return condition


def _worker_can_see(*, user: User, need: Need) -> bool:
    if need.status not in WORKER_STATUSES:
        return False
    if need.project_id and is_project_manager(user=user, project=need.project):
        return True
    return any(need.region_id.startswith(code) for code in worker_regions(user=user))


def _fetch(need_id: int, *, lock: bool = False) -> Need:
    qs = Need.objects.select_related("region", "reporter", "project__organization")
    if lock:
        qs = qs.select_for_update(of=("self",))
    need = qs.filter(id=need_id).first()
    if need is None:
        raise Http404
    return need


def need_visible(*, user: User, need_id: int) -> Need:
    """The reporter, governing staff, and social workers of the area (once triaged)
    see a need; to everyone else it does not exist (404)."""
    need = _fetch(need_id)
    if (need.reporter_id == user.id or governs(user=user, region_code=need.region_id)
            or _worker_can_see(user=user, need=need)):
        return need
    raise Http404


def need_for_triage(*, user: User, need_id: int) -> Need:
    """Staff governing the need's community. A social worker or the reporter who can
    see it is told they may not (403); anyone else gets 404."""
    need = need_visible(user=user, need_id=need_id)
    if not governs(user=user, region_code=need.region_id):
        raise Forbidden("outside_area", "只有需求所在社区及上级街道、民政局的工作人员可以受理")
    return need


def need_for_worker(*, user: User, need_id: int) -> Need:
    """A social worker of an organization whose area covers the need (or a manager of
    its linked project)."""
    need = need_visible(user=user, need_id=need_id)
    if not _worker_can_see(user=user, need=need):
        raise Forbidden("not_area_social_worker", "只有需求所在区域组织的社工可以承接")
    return need


def need_list(*, user: User, mine: bool = False, region: str | None = None, category: str | None = None,
              status: str | None = None, urgency: str | None = None) -> QuerySet[Need]:
    """``mine`` (or a user who is neither staff nor a social worker): the user's own
    needs. Staff: the needs of their jurisdiction. Social workers: triaged needs (and
    their later states) of their organizations' areas and of the projects they manage."""
    qs = Need.objects.select_related("region", "reporter", "project").annotate(photo_count=Count("photos"))
    own = staff_region(user=user)
    if mine:
        qs = qs.filter(reporter=user)
    elif own is not None:
        qs = qs.filter(region__code__startswith=own.code)
    else:
        codes = worker_regions(user=user)
        managed = ServiceProject.objects.filter(
            Q(owner=user) | Q(organization__memberships__user=user,
                              organization__memberships__role=Membership.Role.ADMIN)).values("id")
        # An organization's admin who is not one of its social workers still manages its
        # projects, and sees their needs (as ``need_visible`` lets them open each one).
        if codes or managed.exists():
            qs = qs.filter(Q(status__in=WORKER_STATUSES) & (_under_any(codes) | Q(project_id__in=managed)))
        else:
            qs = qs.filter(reporter=user)
    if region:
        qs = qs.filter(region__code__startswith=region)
    if category:
        qs = qs.filter(category=category)
    if status:
        qs = qs.filter(status=status)
    if urgency:
        qs = qs.filter(urgency=urgency)
    return qs.order_by("-id")


def need_stats(*, user: User, region: str | None = None) -> dict:
    """Counts by category × status under ``region`` (default: the user's jurisdiction).
    Staff only; a region outside the jurisdiction is refused."""
    own = staff_region(user=user)
    if own is None:
        raise Forbidden("not_staff", "只有政府工作人员可以查看需求统计")
    code = region or own.code
    if not code.startswith(own.code):
        raise Forbidden("outside_area", "只能查看本辖区的需求统计", fields={"region": ["不在您的辖区内"]})
    place = Region.objects.filter(code=code).first()
    if place is None:
        raise DomainError("invalid", "区划不存在", fields={"region": ["区划不存在"]})
    rows = (Need.objects.filter(region__code__startswith=code).values("category", "status")
            .annotate(n=Count("id")).order_by())
    table = {c: dict.fromkeys(S.values, 0) for c in Need.Category.values}
    for row in rows:
        table[row["category"]][row["status"]] = row["n"]
    by_category = [{"category": c, "label": Need.Category(c).label, "total": sum(table[c].values()),
                    "statuses": table[c]} for c in Need.Category.values]
    by_status = {s: sum(table[c][s] for c in table) for s in S.values}
    # Per child region (streets of a district, communities of a street): needs are filed
    # in communities, so a child's figures are its code's prefix; one grouped query.
    children = list(Region.objects.filter(parent_id=code).order_by("code").values_list("code", "name"))
    per_community = (Need.objects.filter(region__code__startswith=code).values("region_id", "status")
                     .annotate(n=Count("id")).order_by())
    open_statuses = (S.SUBMITTED, S.TRIAGED, S.IN_PROGRESS)
    by_region = {child: {"region": child, "name": name, "total": 0, "open": 0, "served": 0}
                 for child, name in children}
    for row in per_community:
        for child in by_region:
            if row["region_id"].startswith(child):
                cell = by_region[child]
                cell["total"] += row["n"]
                cell["open"] += row["n"] if row["status"] in open_statuses else 0
                cell["served"] += row["n"] if row["status"] in (S.SERVED, S.CLOSED) else 0
    return {"region": place.code, "region_name": place.name, "total": sum(by_status.values()),
            "statuses": [{"status": s, "label": S(s).label} for s in S.values],
            "by_status": by_status, "by_category": by_category,
            "by_region": [cell for cell in by_region.values() if cell["total"]]}


def need_photo_for_viewer(*, user: User, need_id: int, photo_id: int) -> NeedPhoto:
    need = need_visible(user=user, need_id=need_id)
    photo = NeedPhoto.objects.filter(need=need, id=photo_id).first()
    if photo is None:
        raise Http404
    return photo


# --- writes --------------------------------------------------------------------------

def _check_photo(upload: UploadedFile, index: int, max_bytes: int) -> str:
    """The photo's format, after checking its size and that it really is an image of an
    accepted format (the decoder reads it; the name and the browser's type are not
    trusted)."""
    field = {"photos": [f"第 {index + 1} 张照片：{{}}"]}
    if upload.size > max_bytes:
        raise DomainError("photo_too_large", f"照片不能超过 {max_bytes // (1024 * 1024)} MB",
                          fields={"photos": [field["photos"][0].format("超过大小限制")]})
    try:
        upload.seek(0)
        with Image.open(upload) as img:
            img.verify()
            fmt = img.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        fmt = None
    finally:
        upload.seek(0)
    if fmt not in PHOTO_FORMATS:
        raise DomainError("invalid_photo", "照片须为 JPEG、PNG 或 WebP 图片",
                          fields={"photos": [field["photos"][0].format("不是支持的图片格式")]})
    return fmt


def _event(*, need: Need, from_status: str, actor: User | None, note: str = "") -> NeedEvent:
    return NeedEvent.objects.create(need=need, from_status=from_status, to_status=need.status, actor=actor,
                                    note=note, project_id=need.project_id)


def _tell_reporter(need: Need, title: str, body: str, **data) -> None:
    notification_send(recipient_id=need.reporter_id, kind=f"need_{need.status}", title=title, body=body,
                      data={"need_id": need.id, "status": need.status, **data})


def _move(*, need_id: int, from_statuses, to_status: str, actor: User | None, note: str = "",
          code: str, detail: str, **changes) -> tuple[Need, str]:
    """Lock the need, check its status, write the change and its event. Returns the need
    and the status it came from. Caller is inside ``transaction.atomic``."""
    need = _fetch(need_id, lock=True)
    if need.status not in from_statuses:
        raise Conflict(code, detail, fields={"status": [f"当前状态：{S(need.status).label}"]})
    previous, previous_project = need.status, need.project_id
    now = timezone.now()
    # Compare-and-set as well: on SQLite the lock above is a no-op (IMMEDIATE
    # transactions serialise writers there), and the row must still be as read.
    updated = Need.objects.filter(id=need.id, status=previous).update(status=to_status, updated_at=now, **changes)
    if updated != 1:
        raise Conflict(code, detail)
    need.refresh_from_db()
    # An unlinked need's event still names the project it left.
    NeedEvent.objects.create(need=need, from_status=previous, to_status=need.status, actor=actor, note=note,
                             project_id=need.project_id or previous_project)
    return need, previous


def need_create(*, reporter: User, region: Region, category: str, description: str, address: str = "",
                lat: Decimal | None = None, lng: Decimal | None = None, urgency: str = Need.Urgency.LOW,
                photos: list[UploadedFile] | None = None) -> Need:
    """A resident posts a need in a community. Photos are checked (format by decoding,
    size, count) before anything is written; the community's staff are told."""
    photos = photos or []
    max_bytes, max_count = photo_limits()
    if region.level != Region.Level.COMMUNITY:
        raise DomainError("invalid", "请选择需求所在的社区（村）", fields={"region": ["须为社区或村"]})
    if (lat is None) != (lng is None):
        raise DomainError("invalid", "经纬度须同时填写", fields={"lat": ["经纬度须同时填写"]})
    if len(photos) > max_count:
        raise DomainError("too_many_photos", f"最多上传 {max_count} 张照片",
                          fields={"photos": [f"最多 {max_count} 张"]})
    formats = [_check_photo(upload, i, max_bytes) for i, upload in enumerate(photos)]
    # The photos reach storage before the transaction ends: removed again if it fails.
    with files_removed_on_failure() as keep, transaction.atomic():
        need = Need.objects.create(reporter=reporter, region=region, category=category, description=description,
                                   address=address, lat=lat, lng=lng, urgency=urgency)
        for upload, fmt in zip(photos, formats, strict=True):
            photo = NeedPhoto(need=need, size=upload.size, content_type=PHOTO_FORMATS[fmt])
            photo.image_format = fmt  # read by the upload path for the file's suffix
            photo.image.save(upload.name or "photo", upload, save=False)
            keep(photo.image)
            photo.save()
        _event(need=need, from_status="", actor=reporter, note="居民提交需求")
        staff = User.objects.filter(staff_role=StaffRole.COMMUNITY, region_id=region.code, is_active=True)
        for staff_id in staff.values_list("id", flat=True):
            notification_send(recipient_id=staff_id, kind="need_posted", title="有新的居民需求",
                              body=f"{region.name}有一条{Need.Category(category).label}需求待受理。",
                              data={"need_id": need.id})
    return need


def need_accept(*, user: User, need: Need, note: str = "") -> Need:
    """Triage: accept a submitted need (checked by ``need_for_triage``)."""
    now = timezone.now()
    with transaction.atomic():
        need, _ = _move(need_id=need.id, from_statuses=[S.SUBMITTED], to_status=S.TRIAGED, actor=user,
                        note=note or "社区受理", code="not_submitted", detail="只有待受理的需求可以受理",
                        triaged_by_id=user.id, triaged_at=now)
        _tell_reporter(need, "需求已受理", "您提交的需求已被社区受理，将由社工跟进。")
    return need


def need_reject(*, user: User, need: Need, reason: str) -> Need:
    """Triage: turn a submitted (or accepted but not yet taken up) need down, with the
    reason the resident is shown."""
    now = timezone.now()
    with transaction.atomic():
        need, _ = _move(need_id=need.id, from_statuses=[S.SUBMITTED, S.TRIAGED], to_status=S.REJECTED,
                        actor=user, note=reason, code="not_rejectable",
                        detail="只有待受理或已受理未承接的需求可以不予受理",
                        reject_reason=reason, triaged_by_id=user.id, triaged_at=now)
        _tell_reporter(need, "需求未被受理", f"您提交的需求未被受理：{reason}", reason=reason)
    return need


def _link(*, user: User, need: Need, project: ServiceProject, note: str) -> Need:
    need, _ = _move(need_id=need.id, from_statuses=[S.TRIAGED], to_status=S.IN_PROGRESS, actor=user, note=note,
                    code="not_triaged", detail="只有已受理且尚未承接的需求可以转为项目", project_id=project.id)
    _tell_reporter(need, "需求已有服务项目承接",
                   f"您提交的需求已由「{project.organization.name}」的服务项目「{project.title}」承接。",
                   project_id=project.id)
    return need


def need_link_project(*, user: User, need: Need, project_id: int, note: str = "") -> Need:
    """Link a triaged need to a project the social worker manages (its owner, or an
    admin of its organization). Someone else's project is refused (403), a closed or
    cancelled one too (409)."""
    project = ServiceProject.objects.select_related("organization").filter(id=project_id).first()
    if project is None:
        raise DomainError("invalid", "项目不存在", fields={"project": ["项目不存在"]})
    if not is_project_manager(user=user, project=project):
        raise Forbidden("not_your_project", "只能关联您负责的服务项目", fields={"project": ["不是您负责的项目"]})
    with transaction.atomic():
        # Read under the lock order need → project: a project closed or cancelled
        # meanwhile is seen as such.
        locked = _fetch(need.id, lock=True)
        project = ServiceProject.objects.select_related("organization").get(id=project.id)
        if project.status in (ServiceProject.Status.CLOSED, ServiceProject.Status.CANCELLED):
            raise Conflict("project_closed", "该项目已结束或已取消，不能承接需求",
                           fields={"project": ["项目已结束或已取消"]})
        return _link(user=user, need=locked, project=project, note=note or f"关联项目「{project.title}」")


def need_create_project(*, user: User, need: Need, organization: Organization, title: str = "",
                        description: str = "") -> tuple[Need, ServiceProject]:
    """Draft a project from a triaged need (in the need's community, at its place) and
    link it. The project comes from ``projects.services.projects.project_create``, which checks
    that ``user`` is a social worker of ``organization``; the organization's area must
    cover the need. One transaction: a refusal leaves neither project nor link."""
    from projects.services.projects import project_create

    if not need.region_id.startswith(organization.region_id):
        raise Forbidden("outside_area", "该组织的服务区域不包括需求所在社区",
                        fields={"organization": ["不覆盖需求所在社区"]})
    category = Need.Category(need.category).label
    with transaction.atomic():
        locked = _fetch(need.id, lock=True)
        if locked.status != S.TRIAGED:
            raise Conflict("not_triaged", "只有已受理且尚未承接的需求可以转为项目")
        project = project_create(
            user=user, organization=organization, region=locked.region,
            title=title or f"{locked.region.name}{category}服务",
            description=description or f"源自居民需求：{locked.description}",
            address=locked.address, lat=locked.lat, lng=locked.lng)
        need = _link(user=user, need=locked, project=project, note=f"据需求创建项目「{project.title}」")
    return need, project


def _after_served(need: Need) -> None:
    """Needs served count in the organization's monthly metrics: refresh that month
    once the transaction commits (an idempotent recomputation)."""
    from volunteers import tasks

    period = timezone.localtime(need.served_at).date().replace(day=1).isoformat()
    tasks.organization_metrics_refresh.delay_on_commit(need.project.organization_id, period)


def need_mark_served(*, user: User, need: Need, note: str = "") -> Need:
    """The linked project's manager says the need has been served. Checked on the
    locked row: the need may have been unlinked and taken up by someone else's project
    since it was read."""
    with transaction.atomic():
        locked = _fetch(need.id, lock=True)
        if not locked.project_id or not is_project_manager(user=user, project=locked.project):
            raise Forbidden("not_your_project", "只有承接项目的负责社工可以标记为已服务")
        need, _ = _move(need_id=need.id, from_statuses=[S.IN_PROGRESS], to_status=S.SERVED, actor=user,
                        note=note or "社工确认已服务", code="not_in_progress",
                        detail="只有服务中的需求可以标记为已服务",
                        served_at=timezone.now())
        _tell_reporter(need, "需求已服务", f"您提交的需求已由「{need.project.title}」完成服务，欢迎评价。",
                       project_id=need.project_id)
        _after_served(need)
    return need


def need_close(*, user: User, need: Need, note: str = "") -> Need:
    """The reporter closes their own need: confirms a served one, or withdraws one
    nobody has started on (submitted or triaged)."""
    if need.reporter_id != user.id:
        raise Forbidden("not_reporter", "只有提出需求的居民可以关闭需求")
    with transaction.atomic():
        current = _fetch(need.id, lock=True).status
        default = "居民确认服务完成" if current == S.SERVED else "居民撤回需求"
        need, _ = _move(need_id=need.id, from_statuses=[S.SUBMITTED, S.TRIAGED, S.SERVED],
                        to_status=S.CLOSED, actor=user, code="not_closable",
                        detail="服务进行中或已不予受理的需求不能关闭", note=note or default, closed_at=timezone.now())
        _tell_reporter(need, "需求已关闭", f"您的需求已关闭（{note or default}）。")
    return need


def needs_sync_projects(*, now: datetime | None = None) -> dict[str, int]:
    """Beat: follow the linked projects. An in-progress need whose project closed is
    served (the project ran its course); one whose project was cancelled goes back to
    triaged, unlinked, so another social worker can take it up. Each need is moved by
    compare-and-set, so a replay (or a social worker acting meanwhile) changes nothing
    twice."""
    now = now or timezone.now()
    moved = {"served": 0, "returned": 0}
    due = (Need.objects.filter(status=S.IN_PROGRESS, project__status__in=[ServiceProject.Status.CLOSED,
                                                                          ServiceProject.Status.CANCELLED])
           .values_list("id", "project__status").order_by("id")[:1000])
    for need_id, project_status in due:
        with transaction.atomic():
            try:
                if project_status == ServiceProject.Status.CLOSED:
                    need, _ = _move(need_id=need_id, from_statuses=[S.IN_PROGRESS], to_status=S.SERVED, actor=None,
                                    note="承接项目已结束", code="not_in_progress", detail="", served_at=now)
                    _tell_reporter(need, "需求已服务", f"承接您需求的项目「{need.project.title}」已结束，欢迎评价。",
                                   project_id=need.project_id)
                    _after_served(need)
                    moved["served"] += 1
                else:
                    need, _ = _move(need_id=need_id, from_statuses=[S.IN_PROGRESS], to_status=S.TRIAGED,
                                    actor=None, note="承接项目已取消，等待重新承接", code="not_in_progress",
                                    detail="", project=None)
                    _tell_reporter(need, "承接项目已取消", "承接您需求的项目已取消，社区将另行安排。")
                    moved["returned"] += 1
            except Conflict:
                continue
    return moved
