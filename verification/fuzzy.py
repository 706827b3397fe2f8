"""Fuzzy comparison of names and employer names (Jaro-Winkler on normalised text).

Kept dependency-free: the inputs are short, and the same functions serve the simulators
(sanctions screening, identity matching) and the consistency rules.
"""

from __future__ import annotations

import re
import unicodedata

# Input is NFKC-normalised first, so full-width punctuation arrives as ASCII here.
_SPACE = re.compile(r"[\s\-_.,'·・()]+")
# Legal-form words that say nothing about which company it is.
_COMPANY_NOISE = (
    "股份有限公司", "有限责任公司", "有限公司", "集团", "股份", "公司",
    "co ltd", "company limited", "limited", "ltd", "inc", "corp", "corporation",
    "llc", "gmbh", "plc", "co", "group",
)


def normalize_name(name: str) -> str:
    """Case-, width- and separator-insensitive form of a person's name."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _SPACE.sub(" ", text).strip()


def normalize_company(name: str) -> str:
    text = normalize_name(name)
    text = text.replace("(", " ").replace(")", " ")
    changed = True
    while changed:
        changed = False
        for noise in _COMPANY_NOISE:
            if text.endswith(noise) and len(text) > len(noise):
                text = text[: -len(noise)].strip()
                changed = True
    return text.replace(" ", "")


def jaro(a: str, b: str) -> float:
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if la == 0 or lb == 0:
        return 0.0
    window = max(max(la, lb) // 2 - 1, 0)
    a_flags = [False] * la
    b_flags = [False] * lb
    matches = 0
    for i, ch in enumerate(a):
        lo, hi = max(0, i - window), min(i + window + 1, lb)
        for j in range(lo, hi):
            if not b_flags[j] and b[j] == ch:
                a_flags[i] = b_flags[j] = True
                matches += 1
                break
    if matches == 0:
        return 0.0
    a_matched = [ch for ch, f in zip(a, a_flags, strict=True) if f]
    b_matched = [ch for ch, f in zip(b, b_flags, strict=True) if f]
    transpositions = sum(x != y for x, y in zip(a_matched, b_matched, strict=True)) / 2
    m = float(matches)
    return (m / la + m / lb + (m - transpositions) / m) / 3.0


def jaro_winkler(a: str, b: str, prefix_weight: float = 0.1) -> float:
    sim = jaro(a, b)
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return sim + prefix * prefix_weight * (1.0 - sim)


def _token_sorted(text: str) -> str:
    return " ".join(sorted(text.split()))


def name_similarity(a: str, b: str) -> float:
    """0..1; tolerant of case, spacing, word order ("WANG Wei" ~ "wei wang") and typos.

    Chinese names are short (2-4 characters), so one wrong character already costs a lot:
    that is intended, a different character is usually a different person.
    """
    na, nb = normalize_name(a), normalize_name(b)
    if not na or not nb:
        return 0.0
    direct = jaro_winkler(na, nb)
    if " " in na or " " in nb:
        squashed = jaro_winkler(na.replace(" ", ""), nb.replace(" ", ""))
        reordered = jaro_winkler(_token_sorted(na), _token_sorted(nb))
        return max(direct, squashed, reordered)
    return direct


def company_similarity(a: str, b: str) -> float:
    na, nb = normalize_company(a), normalize_company(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    # "华为" vs "华为技术": a registered name that contains the stated one (or the reverse)
    # is the usual way people shorten employer names.
    if len(min(na, nb, key=len)) >= 2 and (na in nb or nb in na):
        return 0.9
    return jaro_winkler(na, nb)
