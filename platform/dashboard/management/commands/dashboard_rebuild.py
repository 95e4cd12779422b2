"""Recompute every dashboard rollup from the raw tables (safe at any time)."""

from django.core.management.base import BaseCommand

from dashboard.rollups import rollups_compare, rollups_refresh_all


class Command(BaseCommand):
    help = "从原始数据重建参与度监测汇总表"

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="重建后逐区划核对汇总与原始记录（小数据量）")

    def handle(self, *args, check: bool = False, **options):
        result = rollups_refresh_all()
        self.stdout.write(f"汇总表已重建：{result}")
        if check:
            mismatches = rollups_compare()
            if mismatches:
                self.stderr.write(f"不一致：{mismatches[:10]}")
            else:
                self.stdout.write("汇总与原始记录完全一致。")
