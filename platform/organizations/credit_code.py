"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (no I, O, S, V, Z); the 18th is a check
character over the first 17 with weights 3^i mod 31. Social organizations are
registered by civil affairs (first character ``5``); the second character is the
organization category: 1 社团, 2 民非, 3 基金会, 9 other."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CIVIL_AFFAIRS = "5"
CATEGORY_OF_TYPE = {"social_group": "1", "non_enterprise": "2", "foundation": "3"}


def check_character(body: str) -> str:
    """The check character for the first 17 characters ``body``."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(body, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_errors(code: str, *, org_type: str | None = None) -> list[str]:
    """Why ``code`` is not a valid credit code of a social organization (empty if valid)."""
    if len(code) != 18:
        return ["统一社会信用代码应为 18 位"]
    bad = sorted({char for char in code if char not in ALPHABET})
    if bad:
        return [f"统一社会信用代码含非法字符：{''.join(bad)}"]
    if code[17] != check_character(code[:17]):
        return ["统一社会信用代码校验位错误"]
    if code[0] != CIVIL_AFFAIRS:
        return ["社会组织的统一社会信用代码应以 5（民政部门登记）开头"]
    expected = CATEGORY_OF_TYPE.get(org_type or "")
    if expected and code[1] != expected:
        return ["统一社会信用代码的机构类别与组织类型不符"]
    return []


def credit_code_make(*, org_type: str, region_code: str, serial: int) -> str:
    """A valid code for demo data and tests: civil affairs, the type's category, the
    six-digit region, a nine-character serial and the check character."""
    body = CIVIL_AFFAIRS + CATEGORY_OF_TYPE[org_type] + region_code[:6].ljust(6, "0")
    digits = []
    for _ in range(9):
        serial, rest = divmod(serial, 31)
        digits.append(ALPHABET[rest])
    body += "".join(reversed(digits))
    return body + check_character(body)
