"""A finished instance lets go of Spiff's task tree at once: the tasks and workflow point
at one another, and a worker running many applications should not leave each dead tree
to the cycle collector."""

from __future__ import annotations

import gc
import weakref

import pytest

from bpmn.engine import EngineError
from tests.bpmn.test_engine_failure_modes import diagram, flow, run

XML = diagram('<bpmn:startEvent id="start"/>' + flow("f1", "start", "review")
              + '<bpmn:userTask id="review"/>' + flow("f2", "review", "end")
              + '<bpmn:endEvent id="end"/>')


def test_a_released_instance_frees_its_tasks_without_the_cycle_collector():
    inst = run(XML)
    assert [s.element_id for s in inst.steps if s.element_id in ("review", "end")] == \
        ["review", "end"]
    tasks = [weakref.ref(t) for t in inst.workflow.tasks.values()]
    workflow = weakref.ref(inst.workflow)
    assert tasks
    gc.collect()
    gc.disable()
    try:
        inst.release()
        assert all(t() is None for t in tasks)  # freed by reference counting alone
        assert inst.current_elements() == []
        # What a late signal, update or query asks of it still has an answer.
        assert inst.is_completed() and inst.ready_user_tasks() == []
        assert not inst.is_ready("review", 1)
        assert [s.element_id for s in inst.steps if s.element_id == "end"] == ["end"]
        del inst
        assert workflow() is None
    finally:
        gc.enable()


def test_a_running_instance_is_not_released():
    from bpmn.clock import SystemClock
    from bpmn.engine import ProcessInstance, compile_definition

    inst = ProcessInstance(compile_definition(XML.encode(), []), {}, SystemClock())
    inst.advance()
    with pytest.raises(EngineError, match="only once it has ended"):
        inst.release()
    assert inst.current_elements() == ["review"]
