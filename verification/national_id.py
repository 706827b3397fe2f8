"""Resident identity card numbers (GB 11643-1999): parsing, checking and generating.

Layout of the 18 characters: a 6-digit administrative division code (the first two
digits name the province), the birth date as YYYYMMDD, a 3-digit sequence number whose
last digit is odd for men and even for women, and a check character computed with
ISO 7064 MOD 11-2 (``X`` stands for 10).

The generator makes valid numbers, and deliberately invalid ones of a chosen kind, for
tests and demo data. Nothing here logs or raises with the number in the message.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass
from enum import StrEnum

# Weights are 2^(17-i) mod 11 for the 17 leading digits.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Index: weighted sum mod 11 -> check character.
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dXx]$")

PROVINCES: dict[str, str] = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
    "21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
    "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
    "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}

# A few real county-level division codes, used when generating numbers.
DIVISIONS: tuple[str, ...] = (
    "110101", "110105", "110108", "120101", "130102", "140105", "210102", "220102",
    "230103", "310101", "310104", "310115", "320102", "320506", "330106", "330212",
    "340104", "350203", "360102", "370202", "410105", "420106", "430104", "440106",
    "440305", "440604", "450103", "500103", "510107", "520102", "530102", "610113",
)


class Sex(StrEnum):
    female = "female"
    male = "male"


class Defect(StrEnum):
    """Ways a generated number can be deliberately wrong."""

    checksum = "checksum"  # the check character does not match
    birth_date = "birth_date"  # the encoded date does not exist (e.g. 30 February)
    region = "region"  # the province code does not exist
    future_birth = "future_birth"  # the encoded date lies in the future


@dataclass(frozen=True)
class ParsedId:
    """What a number encodes; fields are None when that part is malformed."""

    well_formed: bool
    checksum_ok: bool
    province_code: str
    province: str | None
    birth_date: dt.date | None
    sex: Sex | None


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the 17 leading digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("expected 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def checksum_ok(number: str) -> bool:
    if not _SHAPE.match(number):
        return False
    return check_character(number[:17]) == number[17].upper()


def _encoded_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def parse(number: str) -> ParsedId:
    if not _SHAPE.match(number):
        return ParsedId(False, False, "", None, None, None)
    sex = Sex.male if int(number[16]) % 2 == 1 else Sex.female
    return ParsedId(
        well_formed=True,
        checksum_ok=checksum_ok(number),
        province_code=number[:2],
        province=PROVINCES.get(number[:2]),
        birth_date=_encoded_date(number),
        sex=sex,
    )


def generate(
    rng: random.Random,
    *,
    birth_date: dt.date | None = None,
    sex: Sex | None = None,
    division: str | None = None,
    defect: Defect | None = None,
) -> str:
    """A number for the given (or random) birth date, sex and division.

    With ``defect`` the number is wrong in exactly that way and otherwise well formed
    (its check character is recomputed, except for ``Defect.checksum``).
    """
    if birth_date is None:
        birth_date = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 45))
    if sex is None:
        sex = rng.choice((Sex.female, Sex.male))
    division = division or rng.choice(DIVISIONS)
    seq = rng.randrange(0, 100) * 10 + rng.choice(
        (1, 3, 5, 7, 9) if sex is Sex.male else (0, 2, 4, 6, 8)
    )
    date_part = birth_date.strftime("%Y%m%d")
    if defect is Defect.birth_date:
        date_part = f"{birth_date.year:04d}0230"
    elif defect is Defect.future_birth:
        date_part = f"{dt.date.today().year + 1 + rng.randrange(0, 5):04d}0615"
    elif defect is Defect.region:
        division = rng.choice(("00", "19", "29", "39", "49", "98")) + division[2:]
    first17 = f"{division}{date_part}{seq:03d}"
    check = check_character(first17)
    if defect is Defect.checksum:
        check = rng.choice([c for c in _CHECK_CHARS if c != check])
    return first17 + check


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day``."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
