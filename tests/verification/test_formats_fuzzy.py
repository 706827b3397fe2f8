from __future__ import annotations

import pytest

from verification.formats import address_problem, luhn_complete, luhn_ok, phone_kind
from verification.fuzzy import company_similarity, jaro_winkler, name_similarity


@pytest.mark.parametrize(("phone", "kind"), [
    ("13812345678", "cn_mobile"), ("+86 138 1234 5678", "cn_mobile"),
    ("(010) 6512 3456", "cn_landline"), ("+44 20 7946 0958", "international"),
    ("12345", None), ("10012345678", None), ("138-1234-567", None), ("phone", None),
])
def test_phone_kinds(phone: str, kind: str | None) -> None:
    assert phone_kind(phone) == kind


def test_luhn_known_numbers() -> None:
    assert luhn_ok("4111 1111 1111 1111")
    assert not luhn_ok("4111111111111112")
    assert not luhn_ok("41111")  # too short to be a card
    card = luhn_complete("621700000000000123")
    assert luhn_ok(card) and len(card) == 19


@pytest.mark.parametrize("address", [
    "广东省深圳市南山区科技园路88号3栋1203室", "北京海淀区学院路30号",
    "1 Chang'an Ave, Dongcheng, Beijing", "深圳市南山区科技园路88号",
])
def test_good_addresses(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize("address", ["不知道", "N/A", "123", "上海", "家", "somewhere",
                                     "南山区科技园路88号"])
def test_bad_addresses(address: str) -> None:
    assert address_problem(address) is not None


def test_jaro_winkler_reference_values() -> None:
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-4)
    assert jaro_winkler("dwayne", "duane") == pytest.approx(0.84, abs=1e-4)
    assert jaro_winkler("", "abc") == 0.0


def test_name_similarity_tolerates_form_but_not_other_people() -> None:
    assert name_similarity("WANG Jianguo", "wang jian guo") == 1.0
    assert name_similarity("Jianguo Wang", "WANG Jianguo") == 1.0
    assert name_similarity("ＷＡＮＧ　Ｊｉａｎｇｕｏ", "WANG Jianguo") == 1.0  # full width
    assert name_similarity("WANG Jiangou", "WANG Jianguo") > 0.9  # a typo
    assert name_similarity("王建国", "王建华") < 0.88  # another person
    assert name_similarity("王伟", "李强") < 0.5


def test_company_similarity_ignores_legal_form_and_short_names() -> None:
    assert company_similarity("华为技术有限公司", "华为技术") == 1.0
    assert company_similarity("腾讯", "深圳市腾讯计算机系统有限公司") >= 0.85
    assert company_similarity("Acme Trading Co., Ltd.", "ACME TRADING LIMITED") == 1.0
    assert company_similarity("上海宏远科技有限公司", "北京华信物流有限公司") < 0.7
