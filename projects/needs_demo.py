"""Demo needs (居民需求) for ``seed_demo``: a few in every status, in the demo street's
communities, the later ones taken up by the demo social worker's first project. Written
directly (like the demo history) with their timelines; running it again adds nothing."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from projects.models import Need, NeedEvent, ServiceFeedback, ServiceProject

JINGDONG, YUBEI = "410902001001", "410902001002"

# description, category, urgency, community, status, address
DEMO_NEEDS = [
    ("楼上独居的王奶奶腿脚不便，希望有人每周帮忙买菜、陪她聊聊天。", "elderly_care", "high", JINGDONG,
     Need.Status.SUBMITTED, "京东社区 6 号楼 2 单元"),
    ("小区东门附近路灯坏了两盏，晚上老人出门不安全。", "environment", "medium", JINGDONG,
     Need.Status.SUBMITTED, "京东社区东门"),
    ("双职工家庭，孩子放学后无人看护，希望社区能组织课后托管。", "children", "medium", YUBEI,
     Need.Status.TRIAGED, "玉北社区活动室"),
    ("想咨询邻里漏水纠纷怎么处理。", "legal", "low", JINGDONG, Need.Status.REJECTED, ""),
    ("小区里有几位空巢老人，希望定期上门测血压、检查居家安全。", "elderly_care", "high", JINGDONG,
     Need.Status.IN_PROGRESS, "京东社区 3 号楼"),
    ("行动不便的李爷爷需要有人帮忙整理房间、清理杂物。", "elderly_care", "medium", JINGDONG,
     Need.Status.SERVED, "京东社区 9 号楼 1 单元"),
    ("社区广场周末垃圾较多，希望组织一次清洁。", "environment", "low", JINGDONG, Need.Status.CLOSED, "京东社区广场"),
]

TRAIL = {
    Need.Status.SUBMITTED: [],
    Need.Status.TRIAGED: [Need.Status.TRIAGED],
    Need.Status.REJECTED: [Need.Status.REJECTED],
    Need.Status.IN_PROGRESS: [Need.Status.TRIAGED, Need.Status.IN_PROGRESS],
    Need.Status.SERVED: [Need.Status.TRIAGED, Need.Status.IN_PROGRESS, Need.Status.SERVED],
    Need.Status.CLOSED: [Need.Status.TRIAGED, Need.Status.IN_PROGRESS, Need.Status.SERVED, Need.Status.CLOSED],
}
NOTES = {
    Need.Status.TRIAGED: "社区受理，安排社工跟进",
    Need.Status.REJECTED: "属于民事纠纷，请联系社区人民调解委员会",
    Need.Status.IN_PROGRESS: "纳入「京东社区独居老人探访」项目",
    Need.Status.SERVED: "志愿者已上门服务",
    Need.Status.CLOSED: "居民确认服务完成",
}


def needs_seed(*, residents: list[User]) -> int:
    """Create the demo needs that do not exist yet; returns how many were created."""
    staff = User.objects.filter(phone="13800000002").first()
    worker = User.objects.filter(phone="13800000004").first()
    project = ServiceProject.objects.filter(title="京东社区独居老人探访").order_by("id").first()
    if not residents or staff is None or worker is None or project is None:
        return 0
    now = timezone.now()
    created = 0
    for index, (description, category, urgency, community, status, address) in enumerate(DEMO_NEEDS):
        if Need.objects.filter(description=description).exists():
            continue
        reporter = residents[(index + 1) % len(residents)]
        start = now - timedelta(days=14 - index * 2, hours=3)
        steps = TRAIL[status]
        linked = Need.Status.IN_PROGRESS in steps
        moments = [start + timedelta(days=i + 1) for i in range(len(steps))]
        need = Need.objects.create(
            reporter=reporter, region_id=community, category=category, description=description, address=address,
            urgency=urgency, status=status, created_at=start, updated_at=moments[-1] if moments else start,
            project=project if linked else None,
            reject_reason=NOTES[Need.Status.REJECTED] if status == Need.Status.REJECTED else "",
            triaged_by=staff if steps else None, triaged_at=moments[0] if steps else None,
            served_at=moments[steps.index(Need.Status.SERVED)] if Need.Status.SERVED in steps else None,
            closed_at=moments[-1] if status == Need.Status.CLOSED else None)
        events = [NeedEvent(need=need, from_status="", to_status=Need.Status.SUBMITTED, actor=reporter,
                            note="居民提交需求", created_at=start)]
        previous = Need.Status.SUBMITTED
        for step, moment in zip(steps, moments, strict=True):
            actor = {Need.Status.TRIAGED: staff, Need.Status.REJECTED: staff,
                     Need.Status.CLOSED: reporter}.get(step, worker)
            events.append(NeedEvent(need=need, from_status=previous, to_status=step, actor=actor, note=NOTES[step],
                                    project=project if linked and step != Need.Status.TRIAGED else None,
                                    created_at=moment))
            previous = step
        NeedEvent.objects.bulk_create(events)
        created += 1
    # The residents whose needs were served rate the project's last finished shift (服务对象
    # 评价), so the metrics, and the evaluation indicator that reads them, have real data.
    shift = project.shifts.filter(ends_at__lte=now).order_by("-ends_at").first()
    served = Need.objects.filter(project=project, status__in=[Need.Status.SERVED, Need.Status.CLOSED])
    if shift is not None:
        for rating, reporter_id in zip((5, 4), served.order_by("id").values_list("reporter_id", flat=True),
                                       strict=False):
            ServiceFeedback.objects.get_or_create(shift=shift, rated_by_id=reporter_id, on_behalf=False,
                                                  defaults={"rating": rating, "comment": "志愿者很耐心，谢谢！"})
    return created
