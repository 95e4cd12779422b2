from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.regions import DEFAULT_DIR, regions_import


class Command(BaseCommand):
    help = "导入一个城市的行政区划（china-division 的 CSV 文件）"

    def add_arguments(self, parser):
        parser.add_argument("--city", default="4109", help="城市代码，默认 4109 濮阳市")
        parser.add_argument("--source", default=str(DEFAULT_DIR),
                            help="含 provinces/cities/areas/streets/villages.csv 的目录")

    def handle(self, *args, city: str, source: str, **options):
        try:
            count = regions_import(city_code=city, source=Path(source))
        except (ValueError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"已导入 {count} 个行政区划"))
