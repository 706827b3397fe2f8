from __future__ import annotations

import datetime as dt
import random

import pytest

from verification import national_id as nid

# The worked example of GB 11643-1999 (Beijing Chaoyang, 31 Dec 1949, female).
STANDARD_EXAMPLE = "11010519491231002X"


def test_standard_example_is_valid_and_decoded() -> None:
    parsed = nid.parse(STANDARD_EXAMPLE)
    assert parsed.checksum_ok
    assert parsed.province == "北京市"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex is nid.Sex.female


def test_lower_case_x_is_accepted() -> None:
    assert nid.checksum_ok(STANDARD_EXAMPLE.lower())


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check character
    "11010519491231002",  # 17 characters
    "1101051949123100XX",  # X where a digit must be
    "",
])
def test_invalid_numbers_fail_the_checksum(number: str) -> None:
    assert not nid.checksum_ok(number)


def test_generated_numbers_are_valid_and_encode_what_was_asked() -> None:
    rng = random.Random(1)
    for _ in range(500):
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 25_000))
        sex = rng.choice(list(nid.Sex))
        number = nid.generate(rng, birth_date=born, sex=sex)
        parsed = nid.parse(number)
        assert parsed.checksum_ok and parsed.province is not None
        assert parsed.birth_date == born and parsed.sex is sex


@pytest.mark.parametrize("defect", list(nid.Defect))
def test_each_defect_breaks_exactly_its_part(defect: nid.Defect) -> None:
    rng = random.Random(defect.value)
    for _ in range(50):
        parsed = nid.parse(nid.generate(rng, defect=defect))
        assert parsed.well_formed
        if defect is nid.Defect.checksum:
            assert not parsed.checksum_ok and parsed.birth_date is not None
        else:
            assert parsed.checksum_ok
        if defect is nid.Defect.birth_date:
            assert parsed.birth_date is None
        if defect is nid.Defect.region:
            assert parsed.province is None
        if defect is nid.Defect.future_birth:
            assert parsed.birth_date is not None and parsed.birth_date > dt.date.today()


def test_every_single_digit_typo_is_caught() -> None:
    for position in range(17):
        for digit in "0123456789":
            if digit == STANDARD_EXAMPLE[position]:
                continue
            typo = STANDARD_EXAMPLE[:position] + digit + STANDARD_EXAMPLE[position + 1:]
            assert not nid.checksum_ok(typo), position


def test_age_on_counts_completed_years() -> None:
    born = dt.date(2000, 6, 15)
    assert nid.age_on(born, dt.date(2018, 6, 14)) == 17
    assert nid.age_on(born, dt.date(2018, 6, 15)) == 18
