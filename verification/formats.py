"""Format checks for phone numbers, bank cards (Luhn) and postal addresses."""

from __future__ import annotations

import re

from verification.national_id import PROVINCES

_PHONE_NOISE = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_CN_LANDLINE = re.compile(r"^(?:\+?86)?0\d{2,3}\d{7,8}$")
_INTERNATIONAL = re.compile(r"^(?:\+|00)(?!86)[1-9]\d{7,14}$")
_CARD_NOISE = re.compile(r"[\s\-]")
# Short forms people write: "北京", "广东", "内蒙古", "广西" ...
_PROVINCE_NAMES = tuple(sorted(
    {n for full in PROVINCES.values()
     for n in (full, re.sub(r"(省|市|特别行政区|自治区|壮族|回族|维吾尔)+$", "", full))},
    key=len, reverse=True,
))
_CN_DETAIL = re.compile(r"[路街道巷弄村号楼室栋幢里]")
_LATIN_ADDRESS = re.compile(r"^(?=.*\d)(?=.*[A-Za-z]{3}).{10,}$")


def phone_kind(phone: str) -> str | None:
    """'cn_mobile', 'cn_landline', 'international' or None if not a phone number."""
    text = _PHONE_NOISE.sub("", phone)
    if _CN_MOBILE.match(text):
        return "cn_mobile"
    if _CN_LANDLINE.match(text):
        return "cn_landline"
    if _INTERNATIONAL.match(text):
        return "international"
    return None


def luhn_ok(number: str) -> bool:
    digits = _CARD_NOISE.sub("", number)
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def luhn_complete(prefix: str) -> str:
    """``prefix`` plus the Luhn check digit (for test and demo card numbers)."""
    for check in "0123456789":
        if luhn_ok(prefix + check):
            return prefix + check
    raise ValueError("prefix must be digits")


def address_problem(address: str) -> str | None:
    """None if the address looks deliverable, else what is wrong with it (no quoting)."""
    text = address.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        if "市" not in text[:8] and not any(p in text[:12] for p in _PROVINCE_NAMES):
            return "it names no province or city"
        if not _CN_DETAIL.search(text):
            return "it has no street, building or house number"
        if len(text) < 8:
            return "it is too short to find a door"
        return None
    if not _LATIN_ADDRESS.match(text) or "," not in text:
        return "it is not a street address with a number, street and city"
    return None
