"""Resident ID numbers (居民身份证号码, GB 11643-1999): validation, masking, encryption at
rest and the keyed hash used for lookups and uniqueness.

An ID number is sensitive personal information (PIPL art. 28): it is only ever stored
encrypted (AES-256-GCM, bound to the owner's user id so a ciphertext cannot be moved to
another row), compared through an HMAC-SHA256 digest, shown masked to everyone but its
owner, and never logged. Both keys are derived from ``settings.REAL_NAME_KEY`` with
HKDF, so one secret serves both and neither reveals the other."""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from hashlib import sha256

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# GB/T 2260 provinces, plus 81/82/83 used by the residence permits of Hong Kong, Macao
# and Taiwan residents, which follow the same format.
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})
_CIPHER_VERSION = "v1"


class InvalidIdNumber(ValueError):
    """The text is not a valid resident ID number; the message is for the user and never
    contains the number itself."""


@dataclass(frozen=True)
class IdNumber:
    number: str  # normalised: 18 characters, upper-case X
    birth_date: date


def check_digit(first17: str) -> str:
    return _CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True)) % 11]


@sensitive_variables("value", "number")
def id_number_parse(value: str, *, today: date | None = None) -> IdNumber:
    """Validate an 18-character ID number: region, birth date (a real day, not in the
    future, not before 1900) and the GB 11643 check character."""
    number = (value or "").strip().upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("身份证号码应为 18 位，前 17 位为数字，末位为数字或 X")
    if number[:2] not in _PROVINCES:
        raise InvalidIdNumber("身份证号码的地区码无效")
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber("身份证号码中的出生日期无效") from None
    if birth.year < 1900 or birth > (today or date.today()):
        raise InvalidIdNumber("身份证号码中的出生日期无效")
    if check_digit(number[:17]) != number[17]:
        raise InvalidIdNumber("身份证号码校验位不正确，请核对")
    return IdNumber(number=number, birth_date=birth)


def id_number_mask(number: str) -> str:
    """4109**********1234: the first four (the prefecture) and the last four only."""
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}" if len(number) > 8 else "*" * len(number)


@lru_cache(maxsize=4)
def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"shegong-yigong real-name",
                info=purpose).derive(secret.encode())


def _keys() -> tuple[bytes, bytes]:
    secret = settings.REAL_NAME_KEY
    return _derive(secret, b"id-number encryption"), _derive(secret, b"id-number digest")


@sensitive_variables("number")
def id_number_digest(number: str) -> str:
    """Keyed hash (HMAC-SHA256) of a normalised number: equal numbers, equal digests;
    without the key, no dictionary of the (small) number space can be built."""
    return hmac.new(_keys()[1], number.encode(), sha256).hexdigest()


def _aad(owner_id: int) -> bytes:
    return f"real-name:{owner_id}".encode()


@sensitive_variables("number")
def id_number_encrypt(number: str, *, owner_id: int) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_keys()[0]).encrypt(nonce, number.encode(), _aad(owner_id))
    return f"{_CIPHER_VERSION}:{base64.b64encode(nonce + sealed).decode()}"


def id_number_decrypt(token: str, *, owner_id: int) -> str:
    version, _, payload = token.partition(":")
    if version != _CIPHER_VERSION:
        raise ValueError(f"unknown ciphertext version {version!r}")
    raw = base64.b64decode(payload)
    return AESGCM(_keys()[0]).decrypt(raw[:12], raw[12:], _aad(owner_id)).decode()


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on ``day`` (a birthday on 29 February counts from 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
