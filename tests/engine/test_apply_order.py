"""Apply order: an object is deleted only after every consumer that uses it has moved."""

from __future__ import annotations

from assistplan.apply.schedule import plan_steps
from assistplan.plan.model import REPLACE_CBD, UPDATE, Plan, ResourceChange
from assistplan.plan.reasons import Reason
from assistplan.state.model import ResourceState, State

STORE = "vector_store.docs@pilot.v1"
SNAP = "assistant.bot@pilot.v1"


def prior() -> State:
    st = State()
    st.put(ResourceState(STORE, "vector_store", "vs_old", {"file_ids": ["file-1"]}))
    st.put(ResourceState(SNAP, "assistant", "asst_1", {}, depends_on=[STORE]))
    return st


def replace_store(*consumer: ResourceChange) -> Plan:
    store = ResourceChange(
        STORE,
        "vector_store",
        "docs@pilot.v1",
        REPLACE_CBD,
        remote_id="vs_old",
        reason=Reason.REPLACE_BY_REQUEST,
    )
    return Plan("l", 1, True, "e", "d", changes=(store, *consumer))


def test_the_old_object_waits_for_a_consumer_state_knows() -> None:
    # The consumer's change names no edge to the store (say, a plan made before state learnt it):
    # state's edge alone must hold the delete back.
    update = ResourceChange(SNAP, "assistant", "bot@pilot.v1", UPDATE, remote_id="asst_1")
    dag = plan_steps(replace_store(update), prior())
    assert ("update", SNAP) in dag.deps[("delete_old", STORE)]
    order = dag.topo_order()
    assert order.index(("create", STORE)) < order.index(("delete_old", STORE))
    assert order.index(("update", SNAP)) < order.index(("delete_old", STORE))


def test_the_old_object_waits_for_a_consumer_the_plan_names() -> None:
    update = ResourceChange(
        SNAP, "assistant", "bot@pilot.v1", UPDATE, remote_id="asst_1", depends_on=(STORE,)
    )
    dag = plan_steps(replace_store(update), State())
    assert ("update", SNAP) in dag.deps[("delete_old", STORE)]
    assert ("create", STORE) in dag.deps[("update", SNAP)]
