from __future__ import annotations

from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.identity import age_on


class Region(models.Model):
    """An administrative division. Codes nest by prefix (41 → 4109 → 410902 → 410902001
    → 410902001001), so "everything under a region" is a prefix match on ``code``."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, "省"
        CITY = 2, "市"
        DISTRICT = 3, "区县"
        STREET = 4, "街道/乡镇"
        COMMUNITY = 5, "社区/村"

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    is_urban = models.BooleanField("城市社区", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return self.name

    def contains(self, code: str | None) -> bool:
        return bool(code) and code.startswith(self.code)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra):
        user = self.model(phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("name", "管理员")
        return self.create_user(phone, password, **extra)


class StaffRole(models.TextChoices):
    NONE = "", "无"
    COMMUNITY = "community_staff", "社区工作人员"
    STREET = "street_staff", "街道工作人员"
    BUREAU = "bureau_staff", "民政局工作人员"


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone logs in with a mainland mobile number. Every user is a resident and may
    volunteer; social worker and organization admin come from organization memberships;
    government staff have a ``staff_role`` scoped to ``region``."""

    phone = models.CharField("手机号", max_length=11, unique=True)
    name = models.CharField("姓名", max_length=32)
    volunteer_number = models.CharField("志愿者编号", max_length=16, unique=True, null=True,
                                        blank=True)
    staff_role = models.CharField("管理角色", max_length=20, choices=StaffRole.choices,
                                  default=StaffRole.NONE, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name="所属区划")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("可登录后台", default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = verbose_name_plural = "用户"
        constraints = [
            # A government role means nothing without the area it governs.
            models.CheckConstraint(
                condition=Q(staff_role="") | Q(region__isnull=False),
                name="staff_role_needs_region",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.phone_masked}）"

    @property
    def phone_masked(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if len(self.phone) == 11 else "****"


class SmsCode(models.Model):
    """A verification code sent to a phone. Only a hash is kept."""

    phone = models.CharField(max_length=11, db_index=True)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField(max_length=16, default="register")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"


class WsTicket(models.Model):
    """A one-time ticket for WebSocket clients that have no session cookie."""

    key_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ticket of user {self.user_id}"


class RealName(models.Model):
    """A user's verified real-name data (实名信息). The resident ID number is sensitive
    personal information: only its ciphertext and keyed digest are stored (see
    ``accounts.identity``); ``id_number_masked`` is what everyone but the owner sees."""

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", "居民身份证"

    user = models.OneToOneField(User, on_delete=models.CASCADE, primary_key=True, related_name="real_name")
    name = models.CharField("姓名", max_length=32)
    id_type = models.CharField("证件类型", max_length=16, choices=IdType.choices, default=IdType.RESIDENT_ID)
    id_number_encrypted = models.TextField(editable=False)
    id_number_digest = models.CharField(max_length=64, editable=False)
    id_number_masked = models.CharField("证件号码（脱敏）", max_length=32)
    birth_date = models.DateField("出生日期")
    verified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "实名信息"
        constraints = [
            # One account per ID number.
            models.UniqueConstraint(fields=["id_number_digest"], name="real_name_one_account_per_id_number"),
            models.CheckConstraint(condition=~Q(id_number_encrypted="") & ~Q(name=""),
                                   name="real_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)
