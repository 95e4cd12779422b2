from __future__ import annotations

from django.core.validators import RegexValidator
from rest_framework import serializers

from accounts.models import RealName, Region, User
from accounts.selectors import user_memberships, user_roles

phone_validator = RegexValidator(r"^1[3-9]\d{9}$", "请输入有效的 11 位手机号")


class PhoneSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=11, validators=[phone_validator])


class RegisterSerializer(PhoneSerializer):
    password = serializers.CharField(min_length=8, max_length=128, write_only=True)
    name = serializers.CharField(min_length=1, max_length=32)
    sms_code = serializers.RegexField(r"^\d{6}$", error_messages={"invalid": "验证码为 6 位数字"})


class LoginSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=11)
    password = serializers.CharField(max_length=128)


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "is_urban"]


class RegionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["code", "name"]


class UserBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name"]


class RegisteredUserSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "phone", "name", "roles"]

    def get_roles(self, user: User) -> list[str]:
        return user_roles(user=user)


class MeSerializer(RegisteredUserSerializer):
    region = RegionBriefSerializer(allow_null=True)
    organizations = serializers.SerializerMethodField()
    real_name_verified = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "phone", "name", "volunteer_number", "roles", "region", "organizations",
                  "real_name_verified"]

    def get_real_name_verified(self, user: User) -> bool:
        return RealName.objects.filter(user_id=user.id).exists()

    def get_organizations(self, user: User) -> list[dict]:
        return [
            {"id": m.organization_id, "name": m.organization.name, "role": m.role}
            for m in user_memberships(user=user)
        ]


class LoginResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = MeSerializer()


class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()


class RealNameInputSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=32)
    # Checked by the service (GB 11643); the length cap only keeps junk out.
    id_number = serializers.CharField(max_length=32, write_only=True)


class RealNameSerializer(serializers.Serializer):
    """The owner's view: the only response that carries the full ID number."""

    verified = serializers.BooleanField()
    name = serializers.CharField(allow_null=True)
    id_type = serializers.CharField(allow_null=True)
    id_number = serializers.CharField(allow_null=True)
    id_number_masked = serializers.CharField(allow_null=True)
    birth_date = serializers.DateField(allow_null=True)
    age = serializers.IntegerField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
