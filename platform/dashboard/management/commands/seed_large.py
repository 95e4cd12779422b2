"""A city-scale data set for the dashboard's benchmarks (PostgreSQL only).

At ``--fraction 1``: 20,000 organizations, 500,000 volunteers, 10,000,000 service
records over the last three years, with their projects, shifts, no-shows and resident
needs, written with ``COPY`` (one connection per table, so shifts and their records
stream side by side), then the rollups rebuilt from them. Run ``seed_demo`` first: the
demo accounts (bureau, street, community staff) are what the benchmark logs in as.

Foreign-key triggers are off for the COPY sessions (``session_replication_role =
replica``; the rows reference only ids this command made or read), CHECK and UNIQUE
constraints stay on. Deterministic for a given ``--seed``. Adds to what exists; run it
on a fresh database."""

from __future__ import annotations

import bisect
import json
import math
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from accounts.models import Region, User
from accounts.regions import regions_import
from organizations.models import Membership, Organization
from projects.models import Need, ServiceProject, Shift, Signup
from volunteers.models import ServiceRecord, VolunteerStanding

FULL = {"organizations": 20_000, "volunteers": 500_000, "records": 10_000_000}
PROJECTS_PER_ORG = 2.5
RECORDS_PER_SHIFT = (5, 15)
NEEDS_PER_COMMUNITY_YEAR = 10
TITLES = ("独居老人探访", "四点半课堂", "助残康复陪伴", "社区环境清洁日", "政策宣讲", "邻里互助", "文艺汇演服务",
          "义诊咨询", "垃圾分类宣传", "防诈骗宣传", "关爱留守儿童", "助餐送餐")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅玉志海燕庆春晓雪莲涵浩然欣怡宇轩萱"


def _text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


class Copier:
    """COPY into one model's table on its own connection. ``columns`` are the
    attnames given per row (already in text format); every other concrete column gets
    its model default, serialized once."""

    def __init__(self, model, columns: list[str], dsn: str, now: datetime):
        self.conn = psycopg.connect(dsn)
        self.conn.execute("SET session_replication_role = replica")
        fields = {f.attname: f for f in model._meta.concrete_fields}
        rest = []
        for name, field in fields.items():
            if name in columns or (field.primary_key and name not in columns):
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                default = now
            elif field.has_default() or field.null or field.empty_strings_allowed:
                default = field.get_default()  # "" for text fields without a default
            else:
                raise CommandError(f"{model.__name__}.{name} needs a value")
            rest.append((field.column, _text(default)))
        cols = [fields[c].column for c in columns] + [c for c, _ in rest]
        self.suffix = "".join("\t" + v for _, v in rest)
        self.copy_cm = self.conn.cursor().copy(
            f"COPY {model._meta.db_table} ({', '.join(cols)}) FROM STDIN")
        self.copy = self.copy_cm.__enter__()
        self.buffer: list[str] = []
        self.count = 0

    def row(self, values: list[str]) -> None:
        self.buffer.append("\t".join(values) + self.suffix + "\n")
        if len(self.buffer) >= 5000:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.copy.write("".join(self.buffer))
            self.count += len(self.buffer)
            self.buffer = []

    def close(self) -> int:
        self.flush()
        self.copy_cm.__exit__(None, None, None)
        self.conn.commit()
        self.conn.close()
        return self.count


def _dsn() -> str:
    db = settings.DATABASES["default"]
    return (f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} dbname={db['NAME']} "
            f"user={db.get('USER') or 'postgres'}" + (f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""))


def _next_id(model) -> int:
    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


class Command(BaseCommand):
    help = "生成城市规模的参与度数据（PostgreSQL，COPY）：2 万组织、50 万志愿者、1000 万条服务记录"

    def add_arguments(self, parser):
        parser.add_argument("--fraction", type=float, default=1.0, help="规模比例（默认 1 = 全量）")
        parser.add_argument("--years", type=int, default=3)
        parser.add_argument("--seed", type=int, default=4109)
        parser.add_argument("--skip-rollups", action="store_true")

    def log(self, message: str) -> None:
        self.stdout.write(f"[{time.perf_counter() - self.t0:7.1f}s] {message}")
        self.stdout.flush()

    def handle(self, *args, fraction: float, years: int, seed: int, skip_rollups: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_large 需要 PostgreSQL（SQLite 请用 seed_demo）")
        self.t0 = time.perf_counter()
        rng = random.Random(seed)
        dsn = _dsn()
        now = timezone.now()
        today = timezone.localdate()
        first_day = today - timedelta(days=365 * years)
        n_orgs = max(10, int(FULL["organizations"] * fraction))
        n_vols = max(100, int(FULL["volunteers"] * fraction))
        n_records = max(1000, int(FULL["records"] * fraction))
        regions_import(city_code="4109")
        communities = list(Region.objects.filter(level=Region.Level.COMMUNITY, code__startswith="4109")
                           .values_list("code", flat=True))
        streets = list(Region.objects.filter(level=Region.Level.STREET, code__startswith="4109")
                       .values_list("code", flat=True))
        districts = sorted({c[:6] for c in communities})
        self.log(f"{len(communities)} communities; {n_orgs} organizations, {n_vols} volunteers, "
                 f"{n_records} records from {first_day}")

        # --- volunteers: home community, registration spread (a fifth join during the period)
        password = make_password(settings.DEMO_PASSWORD)
        users = Copier(User, ["id", "phone", "name", "volunteer_number", "region_id", "date_joined", "password"],
                       dsn, now)
        user_id = _next_id(User)
        pools: dict[str, list[tuple[int, date]]] = {d: [] for d in districts}
        span_days = (today - first_day).days
        for i in range(n_vols):
            home = rng.choice(communities)
            if rng.random() < 0.8:
                joined = first_day - timedelta(days=rng.randint(1, 720))
            else:
                joined = first_day + timedelta(days=int(span_days * rng.random()))
            name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + GIVEN[(i * 13) % len(GIVEN)]
            joined_at = timezone.make_aware(datetime.combine(joined, datetime.min.time()) + timedelta(hours=10))
            users.row([str(user_id), f"15{i:09d}", name, f"L{i:011d}", home, joined_at.isoformat(), password])
            pools[home[:6]].append((user_id, joined))
            user_id += 1
        # one social worker per organization
        workers_first = user_id
        for i in range(n_orgs):
            users.row([str(user_id), f"16{i:09d}", f"社工{i}", f"W{i:011d}", r"\N", now.isoformat(), password])
            user_id += 1
        self.log(f"users: {users.close()}")

        # --- organizations: mostly community organizations, with the registry's mix
        orgs = Copier(Organization, ["id", "name", "org_type", "registration_status", "authority_level", "tier",
                                     "is_community", "region_id", "source", "founded_on"], dsn, now)
        members = Copier(Membership, ["user_id", "organization_id", "role"], dsn, now)
        org_id = _next_id(Organization)
        org_rows: list[tuple[int, str, int]] = []  # id, region, worker
        for i in range(n_orgs):
            u = rng.random()
            if u < 0.75:
                region, community = rng.choice(communities), True
            elif u < 0.93:
                region, community = rng.choice(streets), False
            else:
                region, community = rng.choice(districts), False
            reg = rng.choices(["registered", "filed", "ledger"], weights=[10, 75, 15])[0]
            kind = "foundation" if rng.random() < 0.002 else rng.choice(["social_group", "non_enterprise"])
            tier = {"registered": "civil_affairs", "filed": "street_managed", "ledger": "community_guided"}[reg]
            orgs.row([str(org_id), f"{region}第{i}号{'社区服务社' if community else '社会工作服务中心'}", kind, reg,
                      "city" if rng.random() < 0.2 else "county", tier, "t" if community else "f", region, "seed",
                      (first_day - timedelta(days=rng.randint(0, 3000))).isoformat()])
            members.row([str(workers_first + i), str(org_id), "social_worker"])
            org_rows.append((org_id, region, workers_first + i))
            org_id += 1
        self.log(f"organizations: {orgs.close()}, memberships: {members.close()}")

        # --- projects in a community under the organization's region
        by_prefix: dict[str, list[str]] = {}
        for code in communities:
            for n in (6, 9):
                by_prefix.setdefault(code[:n], []).append(code)
        projects = Copier(ServiceProject, ["id", "organization_id", "owner_id", "title", "region_id", "status",
                                           "published_at", "created_at", "domain"], dsn, now)
        project_id = _next_id(ServiceProject)
        project_rows: list[tuple[int, int, int, str, date]] = []  # id, org, owner, region, published
        domains = [d for d, _ in Organization.Domain.choices]
        for _ in range(int(n_orgs * PROJECTS_PER_ORG)):
            oid, oregion, worker = rng.choice(org_rows)
            region = oregion if len(oregion) == 12 else rng.choice(by_prefix[oregion])
            # Half the projects exist from the start; the others are published over the years.
            if rng.random() < 0.5:
                published = first_day - timedelta(days=rng.randint(1, 300))
            else:
                published = first_day + timedelta(days=int(span_days * rng.random()))
            at = timezone.make_aware(datetime.combine(published, datetime.min.time()) + timedelta(hours=9))
            projects.row([str(project_id), str(oid), str(worker), rng.choice(TITLES), region, "published",
                          at.isoformat(), (at - timedelta(days=3)).isoformat(), rng.choice(domains)])
            project_rows.append((project_id, oid, worker, region, published))
            project_id += 1
        self.log(f"projects: {projects.close()}")

        # --- shifts, their final records and the no-shows, streamed side by side
        shifts = Copier(Shift, ["id", "project_id", "starts_at", "ends_at", "capacity", "confirmed_count",
                                "created_at"], dsn, now)
        records = Copier(ServiceRecord, ["id", "volunteer_id", "shift_id", "project_id", "organization_id",
                                         "started_at",
                                         "ended_at", "hours", "status", "reviewed_by_id", "reviewed_at",
                                         "recorded_by_id", "notice_ends_at", "finalized_at", "created_at",
                                         "place", "content"], dsn, now)
        signups = Copier(Signup, ["shift_id", "volunteer_id", "status", "created_at", "confirmed_at", "no_show_at"],
                         dsn, now)
        shift_id, record_id = _next_id(Shift), _next_id(ServiceRecord)
        written = 0
        pending_after = today - timedelta(days=2)  # the last two days are still awaiting review
        # Service days grow gently over the period (density ∝ 1 + t: the last day sees a
        # third more than the average day), each shift in a project already published.
        project_rows.sort(key=lambda row: row[4])
        published_days = [row[4] for row in project_rows]
        while written < n_records:
            t = -1 + math.sqrt(1 + 3 * rng.random())
            day = min(first_day + timedelta(days=int(span_days * t)), today - timedelta(days=1))
            eligible = bisect.bisect_right(published_days, day)
            if not eligible:
                continue
            pid, oid, owner, region, published = project_rows[rng.randrange(eligible)]
            hour = rng.choice((8, 9, 10, 14, 15, 19))
            length = rng.choice((2, 2, 3, 3, 4))
            starts = timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour))
            ends = starts + timedelta(hours=length)
            pool = pools[region[:6]]
            team: dict[int, None] = {}
            want = rng.randint(*RECORDS_PER_SHIFT)
            for _ in range(want * 2):
                vid, joined = pool[rng.randrange(len(pool))]
                if joined <= day:
                    team[vid] = None
                if len(team) == want:
                    break
            if not team:
                continue
            no_shows = []
            if rng.random() < 0.3:
                for _ in range(rng.randint(1, 2)):
                    vid, joined = pool[rng.randrange(len(pool))]
                    if vid not in team and joined <= day:
                        no_shows.append(vid)
                no_shows = list(dict.fromkeys(no_shows))
            confirmed = len(team) + len(no_shows)
            shifts.row([str(shift_id), str(pid), starts.isoformat(), ends.isoformat(),
                        str(confirmed + rng.randint(0, 4)), str(confirmed), (starts - timedelta(days=7)).isoformat()])
            final = day < pending_after
            reviewed = (ends + timedelta(hours=5)).isoformat()
            for vid in team:
                served = length * 60 - rng.choice((0, 0, 0, 10, 20, 30))
                hours = (Decimal(served) / Decimal(60)).quantize(Decimal("0.01"))
                out = (starts + timedelta(minutes=served)).isoformat()
                if final:
                    records.row([str(record_id), str(vid), str(shift_id), str(pid), str(oid), starts.isoformat(), out,
                                 str(hours), "approved", str(owner), reviewed, str(owner), reviewed, reviewed,
                                 out, region, "社区志愿服务"])
                else:
                    records.row([str(record_id), str(vid), str(shift_id), str(pid), str(oid), starts.isoformat(), out,
                                 str(hours), "pending", r"\N", r"\N", r"\N", r"\N", r"\N", out, region, "社区志愿服务"])
                record_id += 1
                written += 1
            for vid in no_shows:
                signups.row([str(shift_id), str(vid), "confirmed", (starts - timedelta(days=3)).isoformat(),
                             (starts - timedelta(days=3)).isoformat(), (ends + timedelta(minutes=30)).isoformat()])
            shift_id += 1
            if written and written % 1_000_000 < len(team):
                self.log(f"records: {written}")
        self.log(f"shifts: {shifts.close()}, records: {records.close()}, no-shows: {signups.close()}")

        # --- resident needs per community, some served by a project of the community
        needs = Copier(Need, ["reporter_id", "region_id", "category", "description", "status", "project_id",
                              "served_at", "closed_at", "created_at", "updated_at"], dsn, now)
        projects_in: dict[str, list[int]] = {}
        for pid, _oid, _owner, region, _pub in project_rows:
            projects_in.setdefault(region, []).append(pid)
        categories = [c for c, _ in Need.Category.choices]
        for community in communities:
            pool = pools[community[:6]]
            for _ in range(max(1, int(NEEDS_PER_COMMUNITY_YEAR * years * fraction * 5))):
                day = first_day + timedelta(days=int(span_days * rng.random()))
                created = timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=11))
                served_at = closed_at = project = None
                status = "submitted"
                if projects_in.get(community) and rng.random() < 0.6 and day < today - timedelta(days=7):
                    status, project = "served", rng.choice(projects_in[community])
                    served_at = created + timedelta(days=rng.randint(1, 20))
                elif rng.random() < 0.3:
                    status, closed_at = "closed", created + timedelta(days=2)
                needs.row([str(pool[rng.randrange(len(pool))][0]), community, rng.choice(categories), "居民需求",
                           status, _text(project), _text(served_at), _text(closed_at), created.isoformat(),
                           created.isoformat()])
        self.log(f"needs: {needs.close()}")

        with connection.cursor() as cur:
            for model in (User, Organization, Membership, ServiceProject, Shift, ServiceRecord, Signup, Need):
                table = model._meta.db_table
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))")
            thresholds = settings.VOLUNTEER_STAR_THRESHOLDS
            level = " + ".join(f"(CASE WHEN s.h >= {t} THEN 1 ELSE 0 END)" for t in thresholds)
            cur.execute(f"""
                INSERT INTO {VolunteerStanding._meta.db_table} (volunteer_id, final_hours, star_level, updated_at)
                SELECT s.v, s.h, {level}, now() FROM (
                    SELECT volunteer_id v, sum(hours) h FROM {ServiceRecord._meta.db_table}
                     WHERE status = 'approved' AND finalized_at IS NOT NULL GROUP BY volunteer_id) s
                ON CONFLICT (volunteer_id) DO UPDATE SET final_hours = excluded.final_hours,
                    star_level = excluded.star_level, updated_at = excluded.updated_at""")
            cur.execute("ANALYZE")
        self.log("sequences, star levels, ANALYZE done")
        if not skip_rollups:
            from dashboard.rollups import rollups_refresh_all

            result = rollups_refresh_all()
            self.log(f"rollups rebuilt: {result}")
