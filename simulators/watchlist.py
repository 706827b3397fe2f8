"""A simulated consolidated sanctions / watch list and fuzzy screening against it.

Part of the list is drawn from the simulated population (so a generated application can
belong to a listed person, and the identity registry agrees about them); the rest are
romanised names without a national ID, as foreign list entries usually are.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from simulators.population import Population
from verification.fuzzy import name_similarity
from verification.sources import SanctionsHit, SanctionsScreen

LISTS = ("SIM-CONSOLIDATED", "SIM-PEP")
LIST_VERSION = "2024-06-01"
# Below this name similarity an entry is not a hit at all. Chinese names differing in one
# character of three score about 0.82; a typo in a romanised name scores above 0.93.
NAME_THRESHOLD = 0.88
_FOREIGN_GIVEN = ("Ivan", "Omar", "Viktor", "Hassan", "Dmitri", "Carlos", "Yusuf", "Boris",
                  "Ahmed", "Sergei", "Luis", "Karim")
_FOREIGN_FAMILY = ("Petrov", "Haddad", "Morozov", "Rahman", "Volkov", "Mendoza", "Kaya",
                   "Sokolov", "Farouk", "Ortega", "Nasser", "Orlov")


@dataclass(frozen=True)
class Entry:
    list_name: str
    entry_id: str
    names: tuple[str, ...]
    birth_date: dt.date | None
    national_id: str | None


def build_list(population: Population, size: int = 40) -> list[Entry]:
    rng = random.Random(f"{population.seed}|watchlist")
    entries: list[Entry] = []
    for i in range(size):
        number = population.find(lambda s: s.valid, start=2_000_000 + i * 1000)
        population.mark_listed(number)
        subject = population.subject(number)
        entries.append(Entry(rng.choice(LISTS), f"SIM-{i:04d}",
                             (subject.full_name, subject.name_latin),
                             subject.birth_date, number))
    for i in range(size // 2):
        latin = f"{rng.choice(_FOREIGN_GIVEN)} {rng.choice(_FOREIGN_FAMILY)}"
        entries.append(Entry("SIM-CONSOLIDATED", f"SIM-F{i:03d}", (latin,), None, None))
    return entries


def screen(entries: list[Entry], full_name: str, birth_date: dt.date | None) -> SanctionsScreen:
    """Name similarity against every name of every entry; the birth date decides.

    A similar name with the same birth date is a ``match``; with no birth date on either
    side it is a ``potential_match`` for a person to look at; with a different birth date
    it is cleared (reported with ``birth_date_match=False`` but status clear).
    """
    hits: list[SanctionsHit] = []
    for entry in entries:
        score = max(name_similarity(full_name, n) for n in entry.names)
        if score < NAME_THRESHOLD:
            continue
        dob_match = (None if entry.birth_date is None or birth_date is None
                     else entry.birth_date == birth_date)
        hits.append(SanctionsHit(entry.list_name, entry.entry_id, round(score, 3), dob_match))
    status = "clear"
    if any(h.birth_date_match for h in hits):
        status = "match"
    elif any(h.birth_date_match is None for h in hits):
        status = "potential_match"
    hits.sort(key=lambda h: -h.score)
    return SanctionsScreen(status, hits, list(LISTS), LIST_VERSION)  # type: ignore[arg-type]
