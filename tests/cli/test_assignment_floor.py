"""The floor `loanflow bench assignment` prints beside the load spread: the most even
load any rule could reach for the team and tasks of the run."""

from __future__ import annotations

import random

import pytest

from cli.assignment_workload import balanced_floor


def test_work_goes_to_whoever_can_take_it_and_evens_out_where_it_can():
    # a can only share with b; b could also help c, but c alone is less loaded by taking
    # all of their common work; d works alone at half the load per unit of capacity.
    floor = balanced_floor({frozenset("ab"): 10, frozenset("bc"): 2, frozenset("d"): 1},
                           {"a": 1, "b": 1, "c": 1, "d": 2})
    assert floor == pytest.approx({"a": 5.0, "b": 5.0, "c": 2.0, "d": 0.5})


def test_a_starved_specialist_stays_below_the_rest_whatever_the_rule():
    # The benchmark's own case: a specialist with little eligible work beside generalists.
    floor = balanced_floor({frozenset(["spec", "gen1", "gen2"]): 3,
                            frozenset(["gen1", "gen2"]): 60}, {"spec": 10, "gen1": 10,
                                                                "gen2": 10})
    assert floor["spec"] == pytest.approx(0.3)
    assert floor["gen1"] == pytest.approx(3.0) == floor["gen2"]


def _greedy(tasks: list[tuple[frozenset[str], float]], cap: dict[str, float]) -> dict[str, float]:
    """The rule with whole tasks, one by one: the lowest effort÷capacity takes it."""
    load = dict.fromkeys(cap, 0.0)
    for group, effort in tasks:
        load[min(sorted(group), key=lambda n: load[n] / cap[n])] += effort
    return load


def test_no_rule_spreads_work_more_evenly_than_the_floor():
    rng = random.Random(3)
    for _ in range(30):
        names = [f"p{i}" for i in range(rng.randint(2, 8))]
        cap = {n: float(rng.choice((5, 8, 10, 12))) for n in names}
        tasks = [(frozenset(rng.sample(names, rng.randint(1, len(names)))),
                  float(rng.choice((1, 2, 3)))) for _ in range(rng.randint(5, 80))]
        work: dict[frozenset[str], float] = {}
        for group, effort in tasks:
            work[group] = work.get(group, 0.0) + effort
        floor = balanced_floor(work, cap)
        greedy = _greedy(tasks, cap)
        # All the work is placed, and nobody outside a group got any of its work.
        assert sum(floor[n] * cap[n] for n in names) == pytest.approx(sum(work.values()))
        for n in names:
            if not any(n in g for g in work):
                assert floor[n] == 0
        # The floor minimises Σ load²/capacity: the greedy rule cannot do better.
        assert sum((floor[n] * cap[n]) ** 2 / cap[n] for n in names) <= \
            sum(greedy[n] ** 2 / cap[n] for n in names) + 1e-6
