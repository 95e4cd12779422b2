"""Every chart's table as an Excel sheet, and the printable monthly report (PDF with an
embedded CJK font, as the certificates do)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

STAR_NAMES = {0: "未定级", 1: "一星", 2: "二星", 3: "三星", 4: "四星", 5: "五星"}
TYPE_NAMES = {"social_group": "社团", "non_enterprise": "民非", "foundation": "基金会"}
REG_NAMES = {"registered": "登记", "filed": "备案", "ledger": "台账"}

SHEETS = ("summary", "children", "stars", "trends", "organizations_top", "projects_top", "registry",
          "coverage", "grades")


def _pct(value) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def tables(*, participation: dict, trends: dict, top: dict, registry: dict, grades: dict | None) -> dict:
    """sheet name → (title, header, rows): the tables shown under the charts."""
    p = participation
    out = {
        "summary": ("总体指标", ["指标", "数值"], [
            ["区划", p["region"]["name"]], ["期间", f"{p['period']['from']} 至 {p['period']['to']}"],
            ["注册志愿者", p["volunteers"]], ["期间新注册", p["new_volunteers"]],
            ["活跃志愿者", p["active_volunteers"]], ["已确定服务时长（小时）", p["approved_hours"]],
            ["服务记录数", p["records"]], ["人均服务时长（小时）", p["hours_per_capita"]],
            ["折合年人均（小时）", p["hours_per_capita_annualized"]],
            ["文明城市测评标准（小时/年）", p["benchmark_hours_per_year"]],
            ["是否达标", "是" if p["benchmark_met"] else "否"],
            ["新发布项目", p["projects"]], ["班次", p["shifts"]], ["提供名额", p["seats_offered"]],
            ["已报满名额", p["seats_filled"]], ["满员率", _pct(p["fill_rate"])],
            ["缺席人次", p["no_shows"]], ["缺席率", _pct(p["no_show_rate"])],
            ["居民需求发布", p["needs_posted"]], ["居民需求已服务", p["needs_served"]],
        ]),
        "children": ("下级区划对比", ["区划代码", "区划", "注册志愿者", "活跃志愿者", "服务时长（小时）", "人均时长",
                                   "项目", "班次", "提供名额", "满员率", "缺席率"],
                     [[c["code"], c["name"], c["volunteers"], c["active_volunteers"], c["approved_hours"],
                       c["hours_per_capita"], c["projects"], c["shifts"], c["seats_offered"], _pct(c["fill_rate"]),
                       _pct(c["no_show_rate"])] for c in p["by_child_region"]]),
        "stars": ("星级分布", ["星级", "志愿者人数"],
                  [[STAR_NAMES.get(s["level"], f"{s['level']}星"), s["volunteers"]] for s in p["star_levels"]]),
        "trends": ("月度趋势", ["月份", "服务时长（小时）", "服务记录", "活跃志愿者", "新注册志愿者", "新发布项目",
                              "班次", "提供名额", "已报满名额", "满员率"],
                   [[m["month"], m["approved_hours"], m["records"], m["active_volunteers"], m["new_volunteers"],
                     m["projects"], m["shifts"], m["seats_offered"], m["seats_filled"], _pct(m["fill_rate"])]
                    for m in trends["months"]]),
        "organizations_top": ("最活跃组织", ["排名", "组织", "服务时长（小时）", "服务记录"],
                              [[i + 1, o["name"], o["approved_hours"], o["records"]]
                               for i, o in enumerate(top["organizations"])]),
        "projects_top": ("最活跃项目", ["排名", "项目", "组织", "服务时长（小时）", "服务记录"],
                         [[i + 1, x["title"], x["organization"], x["approved_hours"], x["records"]]
                          for i, x in enumerate(top["projects"])]),
        "registry": ("社会组织类型×登记状态", ["类型", "登记", "备案", "台账", "合计"],
                     [[TYPE_NAMES.get(t, t)] + [sum(registry["by_type"].get(t, {}).get(r, {}).values())
                                                for r in REG_NAMES]
                      + [sum(sum(v.values()) for v in registry["by_type"].get(t, {}).values())]
                      for t in TYPE_NAMES]),
        "coverage": ("社区社会组织覆盖", ["区划", "社区数", "达标社区", "社区社会组织"],
                     [[c["name"], c["communities"], c["covered"], c["organizations"]]
                      for c in registry["coverage"]["by_child"]]
                     + [[c["name"], 1, 1 if c["met"] else 0, c["organizations"]]
                        for c in registry["coverage"]["by_community"]]),
        "grades": ("评估等级", ["等级", "组织数"],
                   [[g["grade"], g["organizations"]] for g in (grades or {}).get("by_grade", [])]),
    }
    return out


def workbook_xlsx(sheets: dict, only: str | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for key, (title, header, rows) in sheets.items():
        if only and key != only:
            continue
        sheet = workbook.create_sheet(title[:31])
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = max(
                10, min(40, max(len(str(c.value or "")) for c in column) * 2))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def report_pdf(*, sheets: dict, title: str) -> bytes:
    """The monthly report: every table of the dashboard, one after the other."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from volunteers.certificates import cjk_font_path

    pdf = FPDF(format="A4", orientation="L")
    pdf.set_title(title)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.add_font("noto", fname=cjk_font_path())
    pdf.set_font("noto", size=18)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    for key, (heading, header, rows) in sheets.items():
        if not rows and key in ("grades",):
            continue
        pdf.set_font("noto", size=12)
        pdf.ln(3)
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("noto", size=8)
        heading_style = FontFace(emphasis="", fill_color=(230, 236, 245))
        with pdf.table(text_align="LEFT", line_height=5, first_row_as_headings=True,
                       headings_style=heading_style) as table:
            table.row([str(h) for h in header])
            for row in rows[:60]:
                table.row(["" if v is None else str(v) for v in row])
    return bytes(pdf.output())
