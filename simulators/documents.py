"""Rendered documents (ID card, payslip, bank statement) for OCR tests and demo data:
Chinese and English text drawn with Pillow, with a little of a scanner's imperfection."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Debian's fonts-wqy-microhei (CJK) and fonts-dejavu-core; the first that exists is used.
FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
              "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    raise FileNotFoundError("no CJK font installed (Debian package fonts-wqy-microhei)")


@dataclass(frozen=True)
class Person:
    full_name: str
    sex: str
    date_of_birth: str  # ISO
    address: str
    national_id: str
    employer: str
    monthly_income: float


def _page(lines: list[str], rng: random.Random, size: int = 34,
          width: int = 1240) -> bytes:
    font = cjk_font(size)
    height = 80 + len(lines) * int(size * 2.2)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for i, text in enumerate(lines):
        draw.text((60 + rng.randrange(0, 6), 40 + i * int(size * 2.2)), text, font=font,
                  fill=rng.randrange(0, 40))
    # A scanner's touch: a slight tilt and softness, no more than a phone photo has.
    image = image.rotate(rng.uniform(-0.6, 0.6), fillcolor=255, expand=False)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.0, 0.6)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _cn_date(iso: str) -> str:
    year, month, day = (int(p) for p in iso.split("-"))
    return f"{year}年{month}月{day}日"


def id_card(person: Person, rng: random.Random) -> bytes:
    return _page([
        "中华人民共和国居民身份证 Resident Identity Card",
        f"姓名 {person.full_name}",
        f"性别 {'男' if person.sex == 'male' else '女'}   民族 汉",
        f"出生 {_cn_date(person.date_of_birth)}",
        f"住址 {person.address}",
        f"公民身份号码 {person.national_id}",
    ], rng)


def payslip(person: Person, rng: random.Random, period: str = "2024年5月") -> bytes:
    gross = person.monthly_income
    net = gross * 0.78
    return _page([
        f"工资条 Payslip {period}",
        f"单位 {person.employer}",
        f"姓名 {person.full_name}",
        f"基本工资 {gross * 0.7:,.2f}   绩效 {gross * 0.3:,.2f}",
        f"应发工资 {gross:,.2f}",
        f"社保公积金扣款 {gross - net:,.2f}",
        f"实发工资 {net:,.2f}",
    ], rng)


def bank_statement(person: Person, rng: random.Random, months: int = 3) -> bytes:
    lines = ["中国银行 个人账户对账单 Account Statement", f"户名 {person.full_name}",
             f"账号 6217 **** **** {rng.randrange(1000, 9999)}"]
    for m in range(months):
        lines.append(f"2024-0{m + 3}-10 代发工资 {person.monthly_income * 0.78:,.2f}")
        lines.append(f"2024-0{m + 3}-15 消费 POS {-rng.randrange(100, 3000):,.2f}")
    return _page(lines, rng, size=30)
