"""Import administrative divisions from the ``china-division`` CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.db import transaction

from accounts.models import Region

DEFAULT_DIR = settings.REPO_DIR / "data" / "regions-4109"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def regions_import(*, city_code: str, source: Path = DEFAULT_DIR) -> int:
    """Import one city and everything under it; running it again updates in place.

    Parents are written before children because of the foreign key."""
    cities = [r for r in _rows(source / "cities.csv") if r["code"] == city_code]
    if not cities:
        raise ValueError(f"city {city_code} not in {source}")
    city = cities[0]
    province = next(r for r in _rows(source / "provinces.csv") if r["code"] == city["provinceCode"])
    levels: list[list[Region]] = [
        [Region(code=province["code"], name=province["name"], level=Region.Level.PROVINCE)],
        [Region(code=city["code"], name=city["name"], level=Region.Level.CITY,
                parent_id=province["code"])],
        [Region(code=r["code"], name=r["name"], level=Region.Level.DISTRICT, parent_id=city_code)
         for r in _rows(source / "areas.csv") if r["cityCode"] == city_code],
        [Region(code=r["code"], name=r["name"], level=Region.Level.STREET, parent_id=r["areaCode"])
         for r in _rows(source / "streets.csv") if r["cityCode"] == city_code],
        [Region(code=r["code"], name=r["name"], level=Region.Level.COMMUNITY,
                parent_id=r["streetCode"], is_urban=not r["name"].endswith("村民委员会"))
         for r in _rows(source / "villages.csv") if r["cityCode"] == city_code],
    ]
    total = 0
    with transaction.atomic():
        for regions in levels:
            Region.objects.bulk_create(
                regions, batch_size=500, update_conflicts=True, unique_fields=["code"],
                update_fields=["name", "level", "parent", "is_urban"],
            )
            total += len(regions)
    return total
