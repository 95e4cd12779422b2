"""Excel exports of service records with the national record's fields as columns
(《志愿服务记录与证明出具办法》: who, what, where, when, how long, how well, who recorded)."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from accounts.models import RealName
from volunteers.models import ServiceRecord
from volunteers.selectors import RECORD_RELATED

COLUMNS = ["记录编号", "志愿者编号", "志愿者姓名", "证件类型", "项目名称", "服务日期", "服务地点", "服务对象人数",
           "服务内容", "服务时长（小时）", "服务质量评价", "项目负责人", "记录人", "记录组织", "记录来源", "状态",
           "是否已确定", "更正的记录", "更正原因", "补录原因", "审核人", "审核时间"]


def _row(record: ServiceRecord, *, id_type: str) -> list:
    local = timezone.localtime
    return [
        record.id, record.volunteer.volunteer_number or "", record.volunteer.name, id_type,
        record.project.title, local(record.shift.starts_at).date().isoformat(), record.place, record.people_served,
        record.content, float(record.hours), record.quality_rating or "", record.project.owner.name,
        record.recorded_by.name if record.recorded_by else "", record.organization.name,
        record.get_source_display(), record.get_status_display(), "是" if record.is_final else "否",
        record.corrects_id or "", record.amend_reason, record.back_entry_reason,
        record.reviewed_by.name if record.reviewed_by else "",
        local(record.reviewed_at).strftime("%Y-%m-%d %H:%M") if record.reviewed_at else "",
    ]


def service_records_xlsx(records: QuerySet[ServiceRecord], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # The ID type only (never the number: the volunteer number is the public identifier),
    # read for all the file's volunteers in one query.
    id_types = {user_id: RealName.IdType(kind).label for user_id, kind in RealName.objects.filter(
        user_id__in=records.values("volunteer_id")).values_list("user_id", "id_type")}
    for record in records.select_related(*RECORD_RELATED).order_by("shift__starts_at", "id").iterator(
            chunk_size=500):
        sheet.append(_row(record, id_type=id_types.get(record.volunteer_id, "未实名")))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
