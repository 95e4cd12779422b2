"""Calendar periods and region code prefixes shared by the rollups and the selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Prefix lengths of the levels under the city: city, district/county, street/township,
# community/village (GB/T 2260 plus the township and village codes).
LEVEL_LENGTHS = (4, 6, 9, 12)


def region_chain(code: str) -> list[str]:
    """The region and its ancestors from the city down (4109, 410902, 410902001, …)."""
    chain = [code[:n] for n in LEVEL_LENGTHS if n <= len(code)]
    return chain or [code]


def month_start(day: date) -> date:
    return day.replace(day=1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


def period_keys(day: date) -> list[tuple[str, date]]:
    """The month, quarter and year a day belongs to."""
    return [("m", month_start(day)), ("q", quarter_start(day)), ("y", year_start(day))]


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_end(kind: str, start: date) -> date:
    """Last day of a period."""
    months = {"m": 1, "q": 3, "y": 12}[kind]
    end = start
    for _ in range(months):
        end = next_month(end)
    return end - timedelta(days=1)


def months_between(first: date, last: date) -> list[date]:
    """First days of the months overlapping [first, last]."""
    out, cur = [], month_start(first)
    while cur <= last:
        out.append(cur)
        cur = next_month(cur)
    return out


@dataclass(frozen=True)
class Period:
    """A closed date range. ``kind`` is set when it is exactly one calendar month,
    quarter or year (the rollups answer those from a single row); ``whole_months`` when
    it starts on a first and ends on a last day of a month (additive figures then come
    from the month rows; distinct counts from the ledger)."""

    first: date
    last: date

    @property
    def kind(self) -> str | None:
        for kind, start in (("m", month_start(self.first)), ("q", quarter_start(self.first)),
                            ("y", year_start(self.first))):
            if self.first == start and self.last == period_end(kind, start):
                return kind
        return None

    @property
    def whole_months(self) -> bool:
        return self.first.day == 1 and next_month(self.last) == self.last + timedelta(days=1)

    @property
    def months(self) -> list[date]:
        return months_between(self.first, self.last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1
