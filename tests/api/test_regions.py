import pytest

from accounts.models import Region
from tests.factories import region

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def city():
    return region("4109")


def test_the_demo_city_has_its_real_divisions():
    assert Region.objects.get(code="4109").name == "濮阳市"
    districts = Region.objects.filter(parent_id="4109")
    assert districts.count() == 8  # 6 districts/counties and 2 development zones
    assert Region.objects.filter(level=Region.Level.STREET, code__startswith="4109").count() == 89
    assert Region.objects.filter(level=Region.Level.COMMUNITY).count() == 3197
    assert Region.objects.get(code="410902001001").name == "京东社区居民委员会"
    assert Region.objects.filter(level=Region.Level.COMMUNITY, is_urban=False).exists()


def test_regions_are_listed_by_parent(api):
    top = api.get("/api/v1/regions/").json()
    assert [r["code"] for r in top] == ["41"]
    children = api.get("/api/v1/regions/?parent=4109").json()
    assert "410902" in {r["code"] for r in children}
    assert all(r["parent"] == "4109" for r in children)


def test_importing_again_changes_nothing():
    from accounts.regions import regions_import

    before = Region.objects.count()
    regions_import(city_code="4109")
    assert Region.objects.count() == before
