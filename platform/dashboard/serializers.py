from __future__ import annotations

from datetime import date

from django.utils import timezone
from rest_framework import serializers

from dashboard.exports import SHEETS
from dashboard.periods import Period, next_month

MAX_DAYS = 5 * 366


class PeriodQuerySerializer(serializers.Serializer):
    """``region`` (default: the user's own), ``from``/``to`` (default: this calendar
    year), ``source`` rollup|raw."""

    region = serializers.CharField(required=False, max_length=12)
    source = serializers.ChoiceField(choices=["rollup", "raw"], default="rollup")

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a keyword: declared here under the contract's names.
        fields["from"] = serializers.DateField(required=False)
        fields["to"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs):
        today = timezone.localdate()
        first = attrs.get("from") or date(today.year, 1, 1)
        last = attrs.get("to") or date(first.year, 12, 31)
        if last < first:
            raise serializers.ValidationError({"to": ["结束日期不能早于开始日期"]})
        if (last - first).days > MAX_DAYS:
            raise serializers.ValidationError({"to": ["统计期间不能超过五年"]})
        attrs["period"] = Period(first, last)
        return attrs


class TopQuerySerializer(PeriodQuerySerializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class ExportQuerySerializer(PeriodQuerySerializer):
    chart = serializers.ChoiceField(choices=list(SHEETS), required=False)


class ReportQuerySerializer(serializers.Serializer):
    region = serializers.CharField(required=False, max_length=12)
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", required=False,
                                   error_messages={"invalid": "月份格式应为 YYYY-MM"})

    def validate(self, attrs):
        if attrs.get("month"):
            year, month = (int(x) for x in attrs["month"].split("-"))
            first = date(year, month, 1)
        else:
            first = timezone.localdate().replace(day=1)
        from datetime import timedelta

        attrs["period"] = Period(first, next_month(first) - timedelta(days=1))
        return attrs
