"""Demo data: the Puyang regions, organizations, the demo accounts of DESIGN.md, projects
with upcoming shifts and some approved history. Running it again changes nothing that
exists and duplicates nothing."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Region, StaffRole, User
from accounts.regions import regions_import
from dashboard.rollups import rollups_refresh_all
from evaluation.demo import evaluation_demo_seed
from organizations.credit_code import credit_code_make
from organizations.demo import city_registry_seed, demo_venues_seed
from organizations.models import Membership, Organization
from projects.models import Attendance, ServiceProject, Shift, Signup
from projects.needs_demo import needs_seed
from volunteers.metrics import organization_metrics_recompute_all, volunteer_standings_recompute_all
from volunteers.models import ServiceRecord
from volunteers.services import attendance_hours
from volunteers.teams.demo import invitations_seed, teams_seed, volunteer_profiles_seed

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢"
    "蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕国庆春梅晓明"
    "雪莲子涵浩然欣怡宇轩梓萱"
)

ORGANIZATIONS = [
    # name, type, registration, authority, community?, region
    ("濮阳市春晖社会工作服务中心", "non_enterprise", "registered", "city", False, "410902001"),
    ("濮阳市益民社会工作服务社", "non_enterprise", "registered", "county", True, "410902002"),
    ("濮阳市志愿者协会", "social_group", "registered", "city", False, "4109"),
    ("华龙区老年人协会", "social_group", "registered", "county", False, "410902"),
    ("濮阳市慈善基金会", "foundation", "registered", "city", False, "4109"),
    ("京东社区邻里互助会", "social_group", "filed", "county", True, "410902001001"),
    ("玉北社区文体队", "social_group", "filed", "county", True, "410902001002"),
    # Filed rather than a 台账 group: every demo organization then falls in a cell of the
    # source document's figures, so ``--scale city`` reproduces them exactly.
    ("胜利路街道助残服务队", "social_group", "filed", "county", True, "410902002"),
]

STAFF = [
    ("13800000000", "周民政", StaffRole.BUREAU, "4109"),
    ("13800000001", "吴街道", StaffRole.STREET, "410902001"),
    ("13800000002", "郑社区", StaffRole.COMMUNITY, "410902001001"),
]

PROJECTS = [
    # title, description, skills, targets, (lat, lng), address, region (street or community)
    ("京东社区独居老人探访", "每周探访社区独居老人，陪伴聊天、测量血压、检查居家安全。", ["陪伴", "医护"],
     ["elderly"], (35.7621, 115.0292), "华龙区中原路街道京东社区党群服务中心", "410902001001"),
    ("助残康复陪伴", "协助社工为残障人士开展康复训练和外出陪伴。", ["康复", "陪伴"], ["disabled"],
     (35.7689, 115.0405), "华龙区胜利路街道残疾人之家", "410902002"),
    ("四点半课堂", "为双职工家庭儿童提供课后作业辅导和阅读活动。", ["辅导", "阅读"], ["children"],
     (35.7552, 115.0211), "华龙区中原路街道玉北社区活动室", "410902001002"),
    ("社区环境清洁日", "清理楼道小广告、公共区域垃圾，倡导垃圾分类。", ["体力"], ["residents"],
     (35.7605, 115.0330), "华龙区中原路街道京东社区广场", "410902001001"),
    ("困难家庭政策宣讲", "上门为困难家庭讲解低保、临时救助等政策，协助填写申请。", ["政策", "法律"],
     ["difficulty"], (35.7701, 115.0188), "华龙区胜利路街道便民服务中心", "410902002"),
    ("重阳节文艺汇演", "筹备与服务社区老年人文艺汇演：布置场地、引导、茶歇。", ["文艺", "组织"],
     ["elderly"], (35.7640, 115.0260), "华龙区中原路街道京东社区文化广场", "410902001001"),
]


def _name(i: int) -> str:
    second = GIVEN[(i * 13) % len(GIVEN)] if i % 3 else ""
    return SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + second


class Command(BaseCommand):
    help = "生成演示数据（可重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--volunteers", type=int, default=20, help="志愿者数量（默认 20）")
        parser.add_argument("--scale", choices=["demo", "city"], default="demo",
                            help="city：按来源文件生成全市社会组织台账（2024 家登记、16663 家备案）")

    def handle(self, *args, volunteers: int, scale: str = "demo", **options):
        rng = random.Random(4109)
        regions_import(city_code="4109")
        password_hash = make_password(settings.DEMO_PASSWORD)
        with transaction.atomic():
            orgs = self._organizations()
            self._staff(password_hash, orgs)
            evaluation_demo_seed(password_hash=password_hash)
            vols = self._volunteers(volunteers, password_hash, rng)
            self._projects(orgs, vols, rng)
            # Teams and volunteer profiles, so recommendations and matches are not trivial.
            worker = User.objects.get(phone="13800000004")
            volunteer_profiles_seed(volunteers=vols, rng=rng)
            teams_seed(worker=worker, orgs=orgs, volunteers=vols)
            invitations_seed(worker=worker, volunteers=vols)
            needs_seed(residents=vols)  # needs in every status, before the metrics count them
            demo_venues_seed()  # venues, rooms and a booking, so the venues page is not empty
            # Stars and organization metrics are derived from final records: bring them up
            # to date with the history just written (both are idempotent recomputations).
            volunteer_standings_recompute_all()
            organization_metrics_recompute_all()
            # The dashboard's rollups likewise (a recomputation from the raw tables).
            rollups_refresh_all()
        if scale == "city":
            result = city_registry_seed(city_code="4109")
            self.stdout.write(f"全市社会组织台账：新增 {result['created']} 家，移除 {result['deleted']} 家。")
            if result["over"]:
                self.stderr.write(f"以下分类的现有组织多于来源文件的数字，统计无法与之一致：{result['over']}")
        self._print_accounts(volunteers)

    def _organizations(self) -> list[Organization]:
        orgs = []
        for index, (name, org_type, reg, level, community, region) in enumerate(ORGANIZATIONS):
            canonical = dict(org_type=org_type, registration_status=reg, authority_level=level,
                             is_community=community)
            org, created = Organization.objects.get_or_create(
                name=name, region_id=region,
                defaults=dict(**canonical, description=f"{name}，扎根社区，服务居民。",
                              tier="civil_affairs" if reg == "registered" else "street_managed",
                              person_in_charge=_name(index + 100), individual_members=12 + index * 3))
            # An older demo database may hold these under other attributes (the support
            # team was a 台账 group once): bring them back so the city figures stay exact.
            changed = [key for key, value in canonical.items() if getattr(org, key) != value]
            if reg == "registered" and not org.credit_code:
                org.credit_code = credit_code_make(org_type=org_type, region_code=region, serial=990_000 + index)
                changed.append("credit_code")
            if not created and changed:
                for key in canonical:
                    setattr(org, key, canonical[key])
                org.save(update_fields=changed)
            elif created and changed:
                org.save(update_fields=["credit_code"])
            orgs.append(org)
        return orgs

    def _user(self, phone: str, name: str, password_hash: str, **extra) -> User:
        user, created = User.objects.get_or_create(phone=phone, defaults=dict(
            name=name, password=password_hash, **extra))
        if created:
            user.volunteer_number = f"4109{user.id:08d}"
            user.save(update_fields=["volunteer_number"])
        return user

    def _staff(self, password_hash: str, orgs: list[Organization]) -> None:
        for phone, name, role, region in STAFF:
            self._user(phone, name, password_hash, staff_role=role, region_id=region)
        admin = self._user("13800000003", "冯组织", password_hash)
        worker = self._user("13800000004", "林社工", password_hash)
        Membership.objects.get_or_create(user=admin, organization=orgs[0], role=Membership.Role.ADMIN)
        for org in orgs[:2]:
            Membership.objects.get_or_create(user=worker, organization=org,
                                             role=Membership.Role.SOCIAL_WORKER)

    def _volunteers(self, count: int, password_hash: str, rng: random.Random) -> list[User]:
        phones = [f"138{1000 + i:08d}" for i in range(count)]
        existing = set(User.objects.filter(phone__in=phones).values_list("phone", flat=True))
        communities = list(Region.objects.filter(level=Region.Level.COMMUNITY,
                                                 code__startswith="410902").values_list("code", flat=True))
        new = [User(phone=p, name=_name(i), password=password_hash,
                    region_id=rng.choice(communities) if communities else None)
               for i, p in enumerate(phones) if p not in existing]
        # Volunteers carry their home community in ``region`` without any staff role.
        created = User.objects.bulk_create(new, batch_size=500)
        for user in created:
            user.volunteer_number = f"4109{user.id:08d}"
        User.objects.bulk_update(created, ["volunteer_number"], batch_size=500)
        return list(User.objects.filter(phone__in=phones).order_by("phone"))

    def _projects(self, orgs: list[Organization], vols: list[User], rng: random.Random) -> None:
        worker = User.objects.get(phone="13800000004")
        now = timezone.now()
        today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        for index, (title, desc, skills, targets, (lat, lng), address, region) in enumerate(PROJECTS):
            org = orgs[index % 2]
            project, created = ServiceProject.objects.get_or_create(
                organization=org, title=title,
                defaults=dict(owner=worker, description=desc, skills=skills, targets=targets,
                              lat=Decimal(str(lat)), lng=Decimal(str(lng)), address=address,
                              region_id=region,
                              status=ServiceProject.Status.PUBLISHED, published_at=now - timedelta(days=60)))
            if not created:
                continue
            shifts = []
            for day in range(1, 15, 3):
                start = today + timedelta(days=day + index % 3, hours=9 + index % 5)
                shifts.append(Shift(project=project, starts_at=start, ends_at=start + timedelta(hours=3),
                                    capacity=5 + index * 2))
            if index == 0:
                # Happening now, so a newcomer can walk check-in and check-out at once.
                shifts.append(Shift(project=project, starts_at=now - timedelta(minutes=30),
                                    ends_at=now + timedelta(hours=3), capacity=10))
            Shift.objects.bulk_create(shifts)
            self._history(project, vols, rng, today)
            if index == 0 and vols:
                current = shifts[-1]
                Signup.objects.create(shift=current, volunteer=vols[0], status=Signup.Status.CONFIRMED,
                                      confirmed_at=now)
                Shift.objects.filter(id=current.id).update(confirmed_count=1)

    def _history(self, project: ServiceProject, vols: list[User], rng: random.Random, today) -> None:
        """Past shifts with attendance and approved records, so the numbers are not zero."""
        if not vols:
            return
        for weeks_ago in range(1, 9):
            start = today - timedelta(weeks=weeks_ago, hours=-9)
            shift = Shift.objects.create(project=project, starts_at=start, ends_at=start + timedelta(hours=3),
                                         capacity=8)
            team = rng.sample(vols, k=min(len(vols), rng.randint(3, 6)))
            signups = Signup.objects.bulk_create([
                Signup(shift=shift, volunteer=v, status=Signup.Status.CONFIRMED,
                       created_at=start - timedelta(days=3), confirmed_at=start - timedelta(days=3))
                for v in team])
            Shift.objects.filter(id=shift.id).update(confirmed_count=len(signups))
            for signup in signups:
                checked_in = start + timedelta(minutes=rng.randint(-10, 15))
                checked_out = start + timedelta(hours=3, minutes=rng.randint(-30, 10))
                attendance = Attendance.objects.create(signup=signup, shift=shift, volunteer=signup.volunteer,
                                                       checked_in_at=checked_in, checked_out_at=checked_out)
                ServiceRecord.objects.create(
                    volunteer=signup.volunteer, attendance=attendance, shift=shift, project=project,
                    organization=project.organization, started_at=checked_in, ended_at=checked_out,
                    hours=attendance_hours(checked_in_at=checked_in, checked_out_at=checked_out,
                                           shift_length=shift.length),
                    status=ServiceRecord.Status.APPROVED, reviewed_by=project.owner,
                    reviewed_at=checked_out + timedelta(hours=2), recorded_by=project.owner,
                    place=project.address, content=project.description,
                    # History is past its public notice: final, so it counts towards stars.
                    notice_ends_at=checked_out + timedelta(hours=2),
                    finalized_at=checked_out + timedelta(hours=2))

    def _print_accounts(self, volunteers: int) -> None:
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（密码均为 demo12345）："))
        rows = [("民政局工作人员", "13800000000"), ("街道工作人员", "13800000001"),
                ("社区工作人员", "13800000002"), ("组织管理员", "13800000003"),
                ("社工", "13800000004"), ("评估专家", "13800000005")]
        if volunteers:
            last = f"138{1000 + volunteers - 1:08d}"
            rows.append(("志愿者", f"13800001000 … {last}"))
        for role, phone in rows:
            self.stdout.write(f"  {role:<10} {phone}")
