"""Decision tables checked against their hit policy at deploy: overlaps and gaps are
refused with the rule and an example input; the shipped tables pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpmn.validate import validate

DIAGRAMS = Path(__file__).resolve().parents[2] / "bpmn" / "diagrams"
BPMN = (DIAGRAMS / "loan_personal.bpmn").read_text()
DMN = (DIAGRAMS / "approval_route.dmn").read_text()


def _problems(dmn: str) -> list[str]:
    return [f"{p.element_id}: {p.reason}" for p in validate(BPMN, [dmn])]


def test_shipped_table_has_neither_overlaps_nor_gaps():
    for bpmn in ("loan_personal", "loan_micro", "loan_business"):
        assert validate((DIAGRAMS / f"{bpmn}.bpmn").read_text(), [DMN]) == []


def test_a_loan_type_the_table_leaves_out_is_refused():
    # The loan-type column declares its values; drop micro's rules and micro loans
    # would have no route.
    without_micro = "\n".join(line for line in DMN.splitlines()
                              if "<text>\"micro\"</text>" not in line)
    assert without_micro != DMN
    problems = _problems(without_micro)
    assert any("no rule matches" in p and "Loan type = 'micro'" in p for p in problems), problems


def test_overlapping_rules_are_refused_under_unique():
    # rule 3 now starts at 10,000 where rule 2 (auto approve up to 20,000) still answers
    overlapping = DMN.replace("? &gt; 20000 and ? &lt;= 200000", "? &gt; 10000 and ? &lt;= 200000")
    assert overlapping != DMN
    problems = _problems(overlapping)
    assert any(p.startswith("rule_3: overlaps rule rule_2") and "Amount = 1" in p
               for p in problems), problems


def test_overlaps_with_the_same_output_are_fine_under_any():
    same = DMN.replace('hitPolicy="UNIQUE"', 'hitPolicy="ANY"')
    assert _problems(same) == []
    overlapping = same.replace("? &gt; 20000 and ? &lt;= 200000", "? &gt; 10000 and ? &lt;= 200000")
    assert any("overlaps" in p for p in _problems(overlapping))


def test_an_input_no_rule_answers_is_refused():
    # two levels only from 250,000: between 200,000 and 250,000 nothing answers
    gap = DMN.replace('<inputEntry id="r4_in4"><text>&gt; 200000</text>',
                      '<inputEntry id="r4_in4"><text>&gt; 250000</text>')
    assert gap != DMN
    problems = _problems(gap)
    assert any("no rule matches" in p and "Loan type = 'personal'" in p
               and "Amount = 200001.0" in p for p in problems), problems


@pytest.mark.parametrize("policy", ["COLLECT", "RULE ORDER"])
def test_multi_hit_tables_may_overlap_and_leave_gaps(policy):
    table = DMN.replace('hitPolicy="UNIQUE"', f'hitPolicy="{policy}"').replace(
        '<text>"E"</text>', '<text>"X"</text>')
    assert _problems(table) == []
