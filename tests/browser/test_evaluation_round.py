"""A whole evaluation round in the console on the demo data: the bureau's templates page
refuses points that do not add up, opens a round (eligibility with reasons), assigns the
demo expert and computes the automatic indicators; the organization's admin self-assesses
with an evidence upload; the expert scores; publishing early is refused; the committee's
vote is recorded and the grades published (public list); the admin appeals and the bureau
regrades on review."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, assert_cjk_renders

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

BUREAU = "13800000000"
ORG_ADMIN = "13800000003"  # admin of 濮阳市春晖社会工作服务中心
EXPERT = "13800000005"
CHUNHUI = "濮阳市春晖社会工作服务中心"
ASSOCIATION = "濮阳市志愿者协会"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128


def sign_in(page, phone: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/(m|console)/"))


def test_a_round_runs_from_opening_to_published_grades_and_an_appeal(new_context, shot, api_for, tmp_path):
    bureau = new_context("desktop").new_page()
    sign_in(bureau, BUREAU)
    expect(bureau.get_by_test_id("console-nav-evaluation")).to_be_visible()

    # Templates: a category whose indicators no longer add up is refused, nothing saved.
    bureau.goto("/console/evaluation/templates")
    bureau.get_by_test_id("template-non_enterprise-default").click()
    expect(bureau.get_by_test_id("template-sum")).to_have_text("类别合计 1000")
    bureau.get_by_test_id("template-ind-gov.finance").fill("90")
    bureau.get_by_test_id("template-save").click()
    expect(bureau.get_by_test_id("template-error")).to_contain_text("不一致")
    assert_cjk_renders(bureau)
    shot(bureau, "template-points-refused")
    assert api_for(BUREAU).get("/api/v1/evaluation-templates/", region="4109")["count"] == 0

    # Open the round: eligibility with reasons, the eligible two enrolled.
    bureau.goto("/console/evaluation")
    # A past penalty is recorded (it ended, so it excludes nobody from this round).
    bureau.get_by_test_id("sanction-search").fill("慈善基金会")
    bureau.get_by_test_id("sanction-find").click()
    expect(bureau.get_by_test_id("sanction-org")).to_contain_text("濮阳市慈善基金会")
    bureau.get_by_test_id("sanction-start").fill("2024-01-01")
    bureau.get_by_test_id("sanction-end").fill("2024-06-30")
    bureau.get_by_test_id("sanction-note").fill("违规开展募捐，已整改")
    bureau.get_by_test_id("sanction-save").click()
    expect(bureau.get_by_test_id("sanction-row")).to_contain_text("行政处罚")
    bureau.get_by_test_id("round-new").click()
    shot(bureau, "round-form")
    bureau.get_by_test_id("round-open").click()
    bureau.wait_for_url(re.compile(r"/console/evaluation/rounds/\d+$"))
    round_id = int(bureau.url.rsplit("/", 1)[1])
    rows = bureau.get_by_test_id("round-evaluation-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=CHUNHUI)).to_have_count(1)
    expect(rows.filter(has_text=ASSOCIATION)).to_have_count(1)
    bureau.get_by_role("tab", name="参评资格").click()
    eligibility = bureau.get_by_test_id("round-eligibility")
    expect(eligibility).to_contain_text("连续两年年检基本合格")
    expect(eligibility).to_contain_text("不足 2 年")
    # Enrolling an ineligible organization anyway is refused with its reasons.
    candidates = api_for(BUREAU).get(f"/api/v1/evaluation-rounds/{round_id}/eligibility/")["results"]
    young = next(c["organization"] for c in candidates if c["organization_name"] == "华龙区老年人协会")
    bureau.get_by_test_id(f"candidate-add-{young}").click()
    expect(bureau.get_by_test_id("round-error")).to_contain_text("不符合参评条件")
    shot(bureau, "eligibility")

    # Compute the automatic indicators, then try to publish before anyone is scored.
    bureau.get_by_test_id("round-compute").click()
    bureau.get_by_role("tab", name="委员会审定与公布").click()
    bureau.get_by_test_id("round-publish-early").click()
    expect(bureau.get_by_test_id("round-error")).to_contain_text("未完成评分")
    shot(bureau, "publish-refused")

    # Assign the demo expert to both organizations.
    bureau.get_by_role("tab", name="参评组织").click()
    evaluations = api_for(BUREAU).get("/api/v1/evaluations/", round=round_id)["results"]
    ids = {e["organization_name"]: e["id"] for e in evaluations}
    for evaluation_id in ids.values():
        bureau.get_by_test_id(f"pick-{evaluation_id}").check()
    bureau.get_by_role("tab", name="专家分配").click()
    bureau.get_by_test_id("assign-submit").click()
    expect(bureau.get_by_test_id("assignments-table")).to_contain_text("陈专家")
    shot(bureau, "experts-assigned")

    # The organization's admin: self-assessment with an evidence file, submitted.
    admin = new_context("desktop").new_page()
    sign_in(admin, ORG_ADMIN)
    admin.goto("/console/evaluation/mine")
    expect(admin.get_by_test_id("console-nav-evaluation")).to_be_visible()
    admin.get_by_test_id(f"my-evaluation-{ids[CHUNHUI]}").click()
    expect(admin.get_by_test_id("evaluation-title")).to_have_text(CHUNHUI)
    evidence = tmp_path / "2025年度审计报告.png"
    evidence.write_bytes(PNG)
    admin.get_by_test_id("evidence-upload-gov.finance").set_input_files(str(evidence))
    expect(admin.get_by_test_id("indicator-gov.finance")).to_contain_text("2025年度审计报告.png")
    inputs = admin.locator("[data-testid^='self-score-']")
    for index in range(inputs.count()):
        inputs.nth(index).fill("20")
    admin.get_by_test_id("self-note-gov.finance").fill("见审计报告")
    admin.get_by_test_id("self-submit").click()
    expect(admin.get_by_test_id("self-submit")).to_have_count(0)
    shot(admin, "self-assessment-submitted")

    # The expert scores both organizations' manual indicators with comments.
    expert = new_context("desktop").new_page()
    sign_in(expert, EXPERT)
    expert.goto("/console/evaluation/mine")
    expect(expert.get_by_test_id("my-evaluation-row")).to_have_count(2)
    for name in (CHUNHUI, ASSOCIATION):
        expert.goto(f"/console/evaluation/evaluations/{ids[name]}")
        expect(expert.get_by_test_id("evaluation-title")).to_have_text(name)
        expect(expert.get_by_test_id("expert-save")).to_be_visible()
        scores = expert.locator("[data-testid^='expert-score-']")
        comments = expert.locator("[data-testid^='expert-comment-']")
        for index in range(scores.count()):
            code = scores.nth(index).get_attribute("data-testid").removeprefix("expert-score-")
            points = expert.get_by_test_id(f"indicator-{code}").locator("td").nth(1).inner_text()
            scores.nth(index).fill(points)
            comments.nth(index).fill("材料齐全，符合标准")
        expert.get_by_test_id("expert-save").click()
        expect(expert.get_by_test_id("evaluation-status")).to_have_text("已评分")
    expect(expert.get_by_test_id("indicator-gov.finance")).to_contain_text("专家 陈专家")
    expect(expert.get_by_test_id("indicator-gov.finance")).not_to_contain_text("待专家评分")
    shot(expert, "expert-scored")

    # The committee's vote, then the grades are published.
    bureau.reload()
    bureau.get_by_role("tab", name="委员会审定与公布").click()
    bureau.get_by_test_id("committee-members").fill("张委员 李委员 王委员 赵委员 钱委员")
    bureau.get_by_test_id("committee-for").fill("4")
    bureau.get_by_test_id("committee-against").fill("0")
    bureau.get_by_test_id("committee-abstain").fill("1")
    bureau.get_by_test_id("committee-submit").click()
    expect(bureau.get_by_test_id("decision")).to_contain_text("审定通过")
    bureau.get_by_test_id("round-publish").click()
    expect(bureau.get_by_test_id("round-status")).to_have_text("已公布")
    shot(bureau, "published")
    chunhui = api_for(BUREAU).get(f"/api/v1/evaluations/{ids[CHUNHUI]}/")
    assert chunhui["status"] == "published" and chunhui["grade"]

    # Everyone can read the public list.
    public = new_context("desktop").new_page()
    public.goto("/grades")
    expect(public.get_by_test_id("grade-row").filter(has_text=CHUNHUI)).to_contain_text(chunhui["grade"])
    shot(public, "public-grades")

    # The admin appeals; the bureau reviews and regrades.
    admin.reload()
    admin.get_by_test_id("appeal-reason").fill("财务管理指标已提交审计报告，请求复核。")
    admin.get_by_test_id("appeal-submit").click()
    expect(admin.get_by_test_id("evaluation-appeal")).to_contain_text("待复核")
    shot(admin, "appeal-filed")
    bureau.reload()
    bureau.get_by_role("tab", name=re.compile("复核申请")).click()
    appeal_id = api_for(BUREAU).get(f"/api/v1/evaluation-rounds/{round_id}/appeals/")["results"][0]["id"]
    bureau.get_by_test_id(f"appeal-review-{appeal_id}").click()
    bureau.get_by_test_id("review-regraded").check()
    bureau.get_by_test_id("review-score-biz.outcomes").fill("0")
    bureau.get_by_test_id("review-score-biz.integrity").fill("0")
    bureau.get_by_test_id("review-note").fill("经复核，业务活动成效与诚信建设材料不足，改定得分。")
    shot(bureau, "appeal-review")
    bureau.get_by_test_id("review-submit").click()
    expect(bureau.get_by_test_id(f"appeal-{appeal_id}")).to_contain_text("已改定")
    expect(bureau.get_by_test_id("review-dialog")).to_be_hidden()
    shot(bureau, "appeal-reviewed")
    after = api_for(BUREAU).get(f"/api/v1/evaluations/{ids[CHUNHUI]}/")
    assert float(after["total"]) == float(chunhui["total"]) - 100
    history = api_for(BUREAU).get("/api/v1/grades/", organization=chunhui["organization"], history="1")["results"]
    assert len(history) == 2 and history[0]["source_label"] == "复核改定"
    admin.reload()
    expect(admin.get_by_test_id("evaluation-appeal")).to_contain_text("已改定")
    reviewed = admin.get_by_test_id("indicator-biz.outcomes").get_by_test_id("reviewed-score")
    expect(reviewed).to_contain_text("复核改定为 0.00")
    shot(admin, "appeal-result")
