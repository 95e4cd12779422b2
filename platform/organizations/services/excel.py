"""Excel (.xlsx) ledgers: export a jurisdiction's registry, import one.

An import reads and validates every row before writing anything. With any bad row it
writes nothing, unless the user asked for the good rows only; either way the report
names each bad row and why. The rows are written in one transaction, so an import is
never half done."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from accounts.models import Region, User
from config.exceptions import Conflict, DomainError
from organizations.conf import org_setting
from organizations.models import Organization, OrganizationEvent
from organizations.selectors import governs
from organizations.services.registry import DEFAULT_TIER, record_errors

COLUMNS = [  # header, field
    ("名称", "name"), ("统一社会信用代码", "credit_code"), ("类型", "org_type"), ("登记状态", "registration_status"),
    ("登记管理机关层级", "authority_level"), ("区划代码", "region"), ("社区社会组织", "is_community"),
    ("服务领域", "service_domains"), ("成立日期", "founded_on"), ("负责人", "person_in_charge"),
    ("联系电话", "contact_phone"), ("个人会员数", "individual_members"), ("单位会员数", "unit_members"),
    ("状态", "status"),
]
CHOICES = {"org_type": Organization.Type, "registration_status": Organization.Registration,
           "authority_level": Organization.Authority, "status": Organization.Status}


def _label(choices, value: str) -> str:
    return dict(choices.choices).get(value, value)


def organizations_export(*, queryset) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("社会组织台账")
    sheet.append([header for header, _ in COLUMNS])
    domains = dict(Organization.Domain.choices)
    for org in queryset.iterator(chunk_size=2000):
        row = []
        for _, field in COLUMNS:
            value = getattr(org, field if field != "region" else "region_id")
            if field in CHOICES:
                value = _label(CHOICES[field], value)
            elif field == "is_community":
                value = "是" if value else "否"
            elif field == "service_domains":
                value = "、".join(domains.get(d, d) for d in value)
            row.append(value)
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _choice(choices, raw: str) -> str | None:
    for value, label in choices.choices:
        if raw in (value, label):
            return value
    return None


def _parse_row(cells: dict[str, Any], regions: dict[str, Region]) -> tuple[dict[str, Any], dict[str, str]]:
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    text = {k: ("" if v is None else str(v).strip()) for k, v in cells.items()}
    if not text["name"]:
        errors["name"] = "名称不能为空"
    elif len(text["name"]) > 128:
        errors["name"] = "名称过长"
    data["name"] = text["name"]
    data["credit_code"] = text["credit_code"].upper() or None
    for field, choices in CHOICES.items():
        if field == "status" and not text[field]:
            data[field] = Organization.Status.ACTIVE
            continue
        value = _choice(choices, text[field])
        if value is None:
            errors[field] = f"无法识别的取值「{text[field]}」"
        data[field] = value
    region = regions.get(text["region"])
    if region is None:
        errors["region"] = f"未知的区划代码「{text['region']}」"
    data["region"] = region
    data["is_community"] = text["is_community"] in ("是", "1", "true", "TRUE", "True")
    labels = {label: value for value, label in Organization.Domain.choices}
    parts = [p for p in text["service_domains"].replace(",", "、").replace("，", "、").split("、") if p]
    data["service_domains"] = [labels.get(p, p) for p in parts]
    founded = cells["founded_on"]
    if isinstance(founded, datetime):
        data["founded_on"] = founded.date()
    elif isinstance(founded, date) or founded in (None, ""):
        data["founded_on"] = founded or None
    else:
        try:
            data["founded_on"] = date.fromisoformat(text["founded_on"])
        except ValueError:
            errors["founded_on"] = "日期格式应为 YYYY-MM-DD"
    data["person_in_charge"], data["contact_phone"] = text["person_in_charge"][:32], text["contact_phone"][:20]
    for field in ("individual_members", "unit_members"):
        try:
            number = int(float(text[field] or 0))
            if number < 0:
                raise ValueError
            data[field] = number
        except ValueError:
            errors[field] = "应为非负整数"
    return data, errors


def _read(file) -> list[tuple[int, dict[str, Any]]]:
    if file.size > org_setting("IMPORT_MAX_BYTES"):
        raise DomainError("file_too_large", "文件过大", fields={"file": ["超过大小限制"]}, status_code=413)
    try:
        book = load_workbook(file, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise DomainError("invalid_file", "不是有效的 .xlsx 文件", fields={"file": ["无法读取"]}) from None
    sheet = book.worksheets[0] if book.worksheets else None
    rows = sheet.iter_rows(values_only=True) if sheet is not None else iter(())
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    missing = [h for h, _ in COLUMNS if h not in header]
    if missing:
        raise DomainError("invalid_file", f"缺少列：{'、'.join(missing)}",
                          fields={"file": [f"缺少列 {m}" for m in missing]})
    index = {field: header.index(h) for h, field in COLUMNS}
    out = []
    for number, row in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in row):
            continue
        if len(out) >= org_setting("IMPORT_MAX_ROWS"):
            limit = org_setting("IMPORT_MAX_ROWS")
            raise DomainError("too_many_rows", "行数超过上限", fields={"file": [f"最多 {limit} 行"]}, status_code=413)
        out.append((number, {f: (row[i] if i < len(row) else None) for f, i in index.items()}))
    book.close()
    return out


def organizations_import(*, user: User, file, good_rows_only: bool = False) -> dict[str, Any]:
    """Validate every row, then write all of them (or, if asked, the good ones) in one
    transaction. Raises 400 ``import_invalid`` with the report when a bad row blocks it."""
    rows = _read(file)
    if not rows:
        raise DomainError("invalid_file", "文件中没有数据行", fields={"file": ["没有数据"]})
    regions = Region.objects.in_bulk([str(r["region"]).strip() for _, r in rows if r["region"] is not None])
    codes = {str(r["credit_code"]).strip().upper() for _, r in rows if r["credit_code"]}
    taken_codes = set(Organization.objects.filter(credit_code__in=codes).values_list("credit_code", flat=True))
    names = {str(r["name"]).strip() for _, r in rows if r["name"]}
    taken_names = set(Organization.objects.filter(name__in=names).values_list("region_id", "name"))
    report, good, seen_codes, seen_names = [], [], set(), set()
    for number, cells in rows:
        data, errors = _parse_row(cells, regions)
        if data["region"] is not None and not governs(user=user, region_code=data["region"].code):
            errors["region"] = "不在您的管辖范围内"
        if not errors:
            errors.update({k: v[0] for k, v in record_errors(data=data).items()})
        code, key = data["credit_code"], (getattr(data["region"], "code", None), data["name"])
        if code and (code in taken_codes or code in seen_codes):
            errors.setdefault("credit_code", "信用代码与已有组织或前面的行重复")
        if key in taken_names or key in seen_names:
            errors.setdefault("name", "该区划内已有同名组织（或与前面的行重复）")
        seen_codes.add(code)
        seen_names.add(key)
        if errors:
            report.extend({"row": number, "field": f, "reason": r} for f, r in errors.items())
        else:
            good.append(data)
    if report and not good_rows_only:
        raise DomainError("import_invalid", f"有 {len({r['row'] for r in report})} 行数据有误，未导入任何数据",
                          fields={"rows": report})
    try:
        with transaction.atomic():
            created = Organization.objects.bulk_create(
                [Organization(**d, tier=DEFAULT_TIER[d["registration_status"]], source=Organization.Source.IMPORT)
                 for d in good], batch_size=1000)
            OrganizationEvent.objects.bulk_create(
                [OrganizationEvent(organization=o, kind=OrganizationEvent.Kind.IMPORTED, actor=user)
                 for o in created], batch_size=1000)
    except IntegrityError:
        # Someone registered one of these names or codes between the check and the write:
        # the transaction is rolled back whole, so the import is simply to be run again.
        raise Conflict("import_conflict", "导入期间台账已有变化（名称或信用代码重复），未导入任何数据，请重新导入",
                       fields={"file": ["请重新导入"]}) from None
    return {"imported": len(created), "rejected_rows": len({r["row"] for r in report}), "errors": report}
