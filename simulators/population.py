"""The simulated world: what the outside systems "know" about a person.

Every valid national ID number is a subject. Its facts are derived from a hash of the
number (and the population seed), so every simulator, every test and the demo data agree
on them without any shared state: name, employer and income on the social-security
record, the credit file, flags. ``enrol`` overrides the facts for one number, so an
end-to-end test can bring its own applicant.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from verification import national_id as nid
from verification.sources import Inquiry, PublicRecord, Tradeline

_SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"),
    ("徐", "Xu"), ("孙", "Sun"), ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"),
    ("郭", "Guo"), ("何", "He"), ("高", "Gao"), ("林", "Lin"), ("罗", "Luo"),
    ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"), ("唐", "Tang"),
    ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
)
_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀", "xiu"), ("霞", "xia"), ("平", "ping"),
    ("刚", "gang"), ("桂", "gui"), ("英", "ying"), ("华", "hua"), ("建", "jian"),
    ("国", "guo"), ("文", "wen"), ("辉", "hui"), ("玲", "ling"), ("鹏", "peng"),
    ("宇", "yu"), ("浩", "hao"), ("凯", "kai"), ("晨", "chen"), ("欣", "xin"),
    ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("博", "bo"), ("思", "si"),
    ("佳", "jia"), ("子", "zi"), ("梓", "zi"), ("涵", "han"), ("睿", "rui"),
    ("嘉", "jia"), ("俊", "jun"), ("峰", "feng"), ("海", "hai"), ("春", "chun"),
)
_CITIES = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "苏州")
_CORES = (
    "宏远", "华信", "恒达", "鼎盛", "瑞丰", "中联", "天成", "金桥", "泰和", "新锐",
    "博雅", "安顺", "聚力", "昌盛", "东方", "智汇", "远航", "永泰", "星辰", "海纳",
)
_INDUSTRIES = ("科技", "物流", "贸易", "建设工程", "餐饮管理", "医药", "电子", "教育咨询")
_LEGAL = ("有限公司", "股份有限公司", "有限责任公司")

# Social-security contribution base bounds (a large city's 2024 figures, CNY / month).
CONTRIBUTION_FLOOR = 6821.0
CONTRIBUTION_CAP = 35283.0

_TRADELINE_KINDS = ("credit_card", "credit_card", "personal", "auto", "mortgage",
                    "consumer_finance")
_INQUIRY_REASONS = ("loan_approval", "credit_card_approval", "post_loan_management",
                    "guarantee", "self")


@dataclass(frozen=True)
class CreditFile:
    status: str  # hit, no_hit, frozen, multiple_match
    tradelines: tuple[Tradeline, ...] = ()
    inquiries: tuple[Inquiry, ...] = ()
    public_records: tuple[PublicRecord, ...] = ()
    fraud_flags: tuple[str, ...] = ()
    obligations_known: bool = True


@dataclass(frozen=True)
class Subject:
    national_id: str
    valid: bool  # checksum, date and region all right: the registry knows this number
    full_name: str
    name_latin: str  # "WANG Jianguo", as on a passport
    birth_date: dt.date
    sex: str
    identity_flags: tuple[str, ...]
    employer: str | None  # None: no social-security record
    monthly_salary: float
    contribution_base: float | None
    months_contributed: int
    active: bool
    credit: CreditFile
    listed: bool = False  # on the simulated sanctions list
    extra: dict[str, str] = field(default_factory=dict)


def _rng(seed: str, national_id: str, aspect: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{national_id}|{aspect}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def make_name(rng: random.Random) -> tuple[str, str]:
    surname, surname_latin = rng.choice(_SURNAMES)
    parts = [rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2)))]
    given = "".join(p[0] for p in parts)
    given_latin = "".join(p[1] for p in parts).capitalize()
    return surname + given, f"{surname_latin.upper()} {given_latin}"


def make_employer(rng: random.Random) -> str:
    return rng.choice(_CITIES) + rng.choice(_CORES) + rng.choice(_INDUSTRIES) + rng.choice(_LEGAL)


def _tradelines(rng: random.Random, salary: float, troubled: bool) -> list[Tradeline]:
    lines: list[Tradeline] = []
    for _ in range(rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6))):
        kind = rng.choice(_TRADELINE_KINDS)
        opened = rng.randrange(3, 180)
        if kind == "credit_card":
            limit = float(round(salary * rng.uniform(1, 5), -3) or 5000)
            balance = round(limit * rng.betavariate(1.5, 4), 2)
            payment = round(balance * 0.1, 2)
        else:
            scale = {"mortgage": 120, "auto": 15, "personal": 4, "consumer_finance": 1.5}[kind]
            limit = float(round(salary * scale * rng.uniform(0.5, 1.5), -3) or 3000)
            balance = round(limit * rng.uniform(0.1, 0.95), 2)
            months = {"mortgage": 300, "auto": 60, "personal": 36, "consumer_finance": 12}[kind]
            payment = round(limit / months * 1.15, 2)
        closed = opened > 24 and rng.random() < 0.2
        history = ["0"] * 24
        if troubled:
            for i in rng.sample(range(24), rng.randrange(1, 4)):
                history[i] = str(rng.randrange(1, 4))
        history = ["-" if 24 - i > opened else h for i, h in enumerate(history)]
        if closed:
            history[-1] = "C"
            balance, payment = 0.0, 0.0
        past_due = round(payment * int(history[-1]), 2) if history[-1].isdigit() else 0.0
        lines.append(Tradeline(kind, limit, balance, past_due, "".join(history),
                               payment, not closed, opened))
    return lines


def _credit_file(rng: random.Random, salary: float) -> CreditFile:
    roll = rng.random()
    if roll < 0.03:
        return CreditFile("no_hit")
    if roll < 0.04:
        return CreditFile("frozen")
    if roll < 0.05:
        return CreditFile("multiple_match")
    troubled = rng.random() < 0.15
    inquiries = tuple(
        Inquiry(rng.randrange(0, 24), rng.choice(_INQUIRY_REASONS))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5)))
    )
    records: tuple[PublicRecord, ...] = ()
    if troubled and rng.random() < 0.3:
        records = (PublicRecord(rng.choice(("court_judgment", "tax_arrears", "enforcement")),
                                float(rng.randrange(1, 50) * 1000), rng.randrange(1, 60),
                                rng.random() < 0.5),)
    flags = ("fraud_alert",) if rng.random() < 0.01 else ()
    return CreditFile("hit", tuple(_tradelines(rng, salary, troubled)), inquiries, records,
                      flags, obligations_known=rng.random() >= 0.03)


class Population:
    """Facts per national ID number, derived on demand; ``enrol`` overrides them."""

    def __init__(self, seed: str = "loanflow") -> None:
        self.seed = seed
        self._overrides: dict[str, Subject] = {}
        self._listed: set[str] = set()

    def subject(self, national_id: str) -> Subject:
        found = self._overrides.get(national_id)
        if found is not None:
            return found
        parsed = nid.parse(national_id)
        valid = bool(parsed.checksum_ok and parsed.province and parsed.birth_date)
        birth = parsed.birth_date or dt.date(1980, 1, 1)
        full_name, latin = make_name(_rng(self.seed, national_id, "name"))
        rng = _rng(self.seed, national_id, "identity")
        roll = rng.random()
        identity_flags = ("reported_lost",) if roll < 0.004 else (
            ("deceased",) if roll < 0.005 else ())
        rng = _rng(self.seed, national_id, "employment")
        salary = round(math.exp(rng.gauss(math.log(9000), 0.55)), -1)
        employer: str | None = make_employer(rng) if rng.random() < 0.85 else None
        base = None
        if employer is not None:
            base = min(max(salary * rng.uniform(0.8, 1.0), CONTRIBUTION_FLOOR), CONTRIBUTION_CAP)
            base = round(base, 2)
        active = employer is not None and rng.random() >= 0.03
        months = rng.randrange(6, 240) if employer else 0
        credit = _credit_file(_rng(self.seed, national_id, "credit"), salary)
        return Subject(national_id, valid, full_name, latin, birth,
                       (parsed.sex or nid.Sex.female).value, identity_flags, employer,
                       salary, base, months, active, credit,
                       listed=national_id in self._listed)

    def enrol(self, national_id: str, **facts: object) -> Subject:
        """Override facts (any ``Subject`` field) for one number; returns the new subject."""
        self._overrides.pop(national_id, None)
        subject = replace(self.subject(national_id), **facts)  # type: ignore[arg-type]
        self._overrides[national_id] = subject
        return subject

    def mark_listed(self, national_id: str) -> None:
        self._listed.add(national_id)
        if national_id in self._overrides:
            self._overrides[national_id] = replace(self._overrides[national_id], listed=True)

    def listed(self) -> list[str]:
        """Numbers of the subjects put on the simulated sanctions list."""
        return sorted(self._listed)

    def find(
        self, predicate: Callable[[Subject], bool], *, start: int = 0, limit: int = 100_000
    ) -> str:
        """The first number of the deterministic enumeration (from ``start``) whose
        subject satisfies ``predicate``. For tests and generated data."""
        for i in range(start, start + limit):
            number = self.number(i)
            if predicate(self.subject(number)):
                return number
        raise LookupError("no subject matches")

    def number(self, index: int) -> str:
        """The index-th number of this population's deterministic enumeration."""
        return nid.generate(_rng(self.seed, str(index), "number"))
