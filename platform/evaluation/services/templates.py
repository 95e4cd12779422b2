"""Template versions: a bureau edits its region's indicators by writing a new version."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Region, StaffRole, User
from config.exceptions import Conflict, DomainError, Forbidden
from evaluation.indicators import template_errors
from evaluation.models import Template, TemplateKind
from organizations.selectors import governs


def template_create_version(*, user: User, kind: str, region: Region, name: str, total_points: Any,
                            grade_bands: Any, tree: Any, note: str = "") -> Template:
    """Write the next version of ``kind``'s template for ``region`` and make it current.

    Bureau staff only, for a region they govern. A tree whose points do not add up (or
    any other template error) is refused whole, with nothing written. The previous
    versions of the same (kind, region) are locked so two edits cannot take the same
    number; rounds keep pointing at the versions they started with."""
    if user.staff_role != StaffRole.BUREAU or not governs(user=user, region_code=region.code):
        raise Forbidden("permission_denied", "只有民政局工作人员可以修改本辖区的评估指标")
    if kind not in TemplateKind.values:
        raise DomainError("invalid", "未知的组织类型", fields={"kind": ["未知的组织类型"]})
    errors = template_errors(total_points=total_points, grade_bands=grade_bands, tree=tree)
    if errors:
        code = "points_mismatch" if any("不一致" in m for ms in errors.values() for m in ms) else "invalid_template"
        raise DomainError(code, next(iter(errors.values()))[0], fields=errors)
    try:
        with transaction.atomic():
            previous = list(Template.objects.select_for_update().filter(kind=kind, region=region)
                            .order_by("-version"))
            base = next((t for t in previous if t.is_current), None) or (
                Template.objects.filter(kind=kind, region__isnull=True, is_current=True).first())
            Template.objects.filter(kind=kind, region=region, is_current=True).update(is_current=False)
            return Template.objects.create(
                kind=kind, region=region, version=(previous[0].version + 1) if previous else 1, name=name.strip(),
                total_points=total_points, grade_bands=grade_bands, tree=tree, is_current=True,
                based_on=base, note=note, created_by=user)
    except IntegrityError as exc:
        raise Conflict("template_version_conflict", "另一位工作人员刚刚保存了新版本，请刷新后重试") from exc
