"""The registry record of a social organization and what the bureau keeps about it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Region
from organizations.conf import org_setting


class Organization(models.Model):
    """A social organization (社会组织) as the civil-affairs registry keeps it."""

    class Type(models.TextChoices):
        SOCIAL_GROUP = "social_group", "社团"
        NON_ENTERPRISE = "non_enterprise", "民非"
        FOUNDATION = "foundation", "基金会"

    class Registration(models.TextChoices):
        REGISTERED = "registered", "登记"
        FILED = "filed", "备案"
        LEDGER = "ledger", "台账"

    class Authority(models.TextChoices):
        CITY = "city", "市属"
        COUNTY = "county", "县区属"

    class Tier(models.TextChoices):
        CIVIL_AFFAIRS = "civil_affairs", "民政登记管理"
        STREET_MANAGED = "street_managed", "街道（乡镇）管理"
        COMMUNITY_GUIDED = "community_guided", "社区引导"

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        SUSPENDED = "suspended", "暂停活动"
        DEREGISTERED = "deregistered", "已注销"

    class Domain(models.TextChoices):
        EDUCATION = "education", "教育"
        HEALTH = "health", "卫生健康"
        CULTURE = "culture", "文化"
        SCIENCE = "science", "科技"
        SPORTS = "sports", "体育"
        HUMAN_RESOURCES = "human_resources", "人力资源"
        CIVIL_AFFAIRS = "civil_affairs", "民政"
        AGRICULTURE = "agriculture", "农业农村发展"
        ELDERLY = "elderly", "养老服务"
        DISABILITY = "disability", "助残"
        CHARITY = "charity", "慈善"
        COMMUNITY = "community", "社区服务"
        LEGAL = "legal", "法律服务"
        ENVIRONMENT = "environment", "生态环境"
        OTHER = "other", "其他"

    class PartyBuilding(models.TextChoices):
        STANDALONE = "standalone", "单独建"
        JOINT = "joint", "联合建"
        INSTRUCTOR = "instructor", "派驻党建指导员"
        NONE = "none", "未覆盖"

    class Source(models.TextChoices):
        MANUAL = "manual", "录入"
        FILING = "filing", "备案申请"
        IMPORT = "import", "Excel 导入"
        SEED = "seed", "演示数据"

    name = models.CharField("名称", max_length=128)
    credit_code = models.CharField("统一社会信用代码", max_length=18, null=True, blank=True, unique=True)
    org_type = models.CharField("类型", max_length=20, choices=Type.choices)
    registration_status = models.CharField("登记状态", max_length=12,
                                           choices=Registration.choices)
    authority_level = models.CharField("登记管理机关层级", max_length=8,
                                       choices=Authority.choices, default=Authority.COUNTY)
    tier = models.CharField("分类管理", max_length=20, choices=Tier.choices,
                            default=Tier.CIVIL_AFFAIRS)
    is_community = models.BooleanField("社区社会组织", default=False)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations",
                               verbose_name="所在区划")
    service_domains = models.JSONField("服务领域", default=list, blank=True)
    founded_on = models.DateField("成立日期", null=True, blank=True)
    person_in_charge = models.CharField("负责人", max_length=32, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    individual_members = models.PositiveIntegerField("个人会员数", default=0)
    unit_members = models.PositiveIntegerField("单位会员数", default=0)
    status = models.CharField("状态", max_length=14, choices=Status.choices, default=Status.ACTIVE)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField("简介", blank=True)
    venue = models.ForeignKey("organizations.Venue", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="organizations", verbose_name="活动场地/办公场所")
    # The current charter, denormalised so that lists show it without a join per row.
    charter_version = models.PositiveIntegerField("章程版本", default=0)
    charter_has_party_clause = models.BooleanField("章程含党建条款", default=False)
    party_building = models.CharField("党建覆盖方式", max_length=12, choices=PartyBuilding.choices,
                                      default=PartyBuilding.NONE)
    party_instructor_name = models.CharField("党建指导员", max_length=32, blank=True)
    party_instructor_contact = models.CharField("党建指导员联系方式", max_length=20, blank=True)
    is_brand = models.BooleanField("品牌组织", default=False)
    brand_story = models.TextField("品牌故事", blank=True)
    brand_photos = models.JSONField("品牌照片", default=list, blank=True)
    brand_projects = models.ManyToManyField("projects.ServiceProject", blank=True, related_name="+",
                                            verbose_name="品牌项目")
    source = models.CharField("来源", max_length=8, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "社会组织"
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="org_unique_name_in_region"),
            # Registered organizations carry the code their certificate shows.
            models.CheckConstraint(
                condition=~Q(credit_code=""), name="org_credit_code_null_not_blank"),
            models.CheckConstraint(
                condition=~Q(party_building="instructor") | ~Q(party_instructor_name=""),
                name="org_instructor_has_name"),
        ]
        indexes = [
            models.Index(fields=["org_type", "registration_status"]),
            models.Index(fields=["region", "is_community"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ready_to_register(self) -> bool:
        """A filed organization that has grown past the registration thresholds."""
        return self.registration_status == self.Registration.FILED and (
            self.individual_members >= org_setting("REGISTRATION_MIN_INDIVIDUAL_MEMBERS")
            or self.unit_members >= org_setting("REGISTRATION_MIN_UNIT_MEMBERS"))


class Membership(models.Model):
    class Role(models.TextChoices):
        ADMIN = "org_admin", "组织管理员"
        SOCIAL_WORKER = "social_worker", "社工"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE,
                                     related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "组织成员"
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"],
                                    name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.organization_id}:{self.role}"


class Inspection(models.Model):
    """The annual inspection (年检) result of one year."""

    class Result(models.TextChoices):
        QUALIFIED = "qualified", "合格"
        BASICALLY_QUALIFIED = "basically_qualified", "基本合格"
        UNQUALIFIED = "unqualified", "不合格"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="inspections")
    year = models.PositiveSmallIntegerField("年度")
    result = models.CharField("结论", max_length=20, choices=Result.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year"]
        verbose_name = verbose_name_plural = "年检结果"
        constraints = [
            models.UniqueConstraint(fields=["organization", "year"], name="inspection_one_per_year"),
            models.CheckConstraint(condition=Q(year__gte=1949) & Q(year__lte=2100),
                                   name="inspection_year_plausible"),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.year} {self.result}"


class OrganizationEvent(models.Model):
    """Append-only history of a record: who changed what, when and why."""

    class Kind(models.TextChoices):
        CREATED = "created", "新增"
        UPDATED = "updated", "修改"
        TIER_CHANGED = "tier_changed", "调整管理层级"
        STATUS_CHANGED = "status_changed", "状态变更"
        INSPECTION = "inspection", "年检"
        CHARTER = "charter", "章程修订"
        PARTY_BUILDING = "party_building", "党建变更"
        BRAND = "brand", "品牌"
        FILED = "filed", "备案"
        IMPORTED = "imported", "导入"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.CharField("原因", max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "组织变更记录"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.kind} {self.created_at:%Y-%m-%d}"
