"""PostgresBackend against a real PostgreSQL server (see conftest.py / pg_server.py).

The conformance suite (its 8-process test included), then what only the postgres backend has:
history, workspaces sharing one database, serial-regression refusal, fencing, dead holders,
concurrent applies through StateManager, schema creation races, and no password in any error.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistplan.errors import LockError, StateError
from assistplan.state import LocalBackend, PostgresBackend, State, open_backend, pull, push
from assistplan.state.base import Backend
from tests.state import pg_history as kept

from .conformance import BackendConformance, BackendFactory, sample_state
from .pg_server import DATABASE, ROLE, PgServer, _free_port

pytestmark = pytest.mark.postgres


def new_workspace() -> str:
    return f"t-{uuid.uuid4().hex[:16]}"


class TestPostgresConformance(BackendConformance):
    @pytest.fixture(autouse=True)
    def _use_server(self, pg_dsn: str) -> None:
        self.dsn = pg_dsn

    def backend_factory(self, tmp_path: Path) -> BackendFactory:
        return functools.partial(PostgresBackend, self.dsn, new_workspace())

    def read_previous(self, backend: Backend) -> State | None:
        assert isinstance(backend, PostgresBackend)
        return kept.previous(self.dsn, backend.workspace)


@pytest.fixture
def workspace() -> str:
    return new_workspace()


@pytest.fixture
def pg(pg_dsn: str, workspace: str) -> Iterator[PostgresBackend]:
    backend = PostgresBackend(pg_dsn, workspace)
    yield backend
    backend.close()


def run_python(code: str, *args: str, dsn: str) -> subprocess.Popen[str]:
    """A Python subprocess running `code`; the DSN goes through the environment, not argv."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TEST_PG_DSN": dsn},
    )


# -- describe -------------------------------------------------------------------------------------


def test_describe_names_workspace_host_and_database_only(pg_server: PgServer, workspace: str) -> None:
    backend = PostgresBackend(pg_server.dsn(tcp=True), workspace)
    assert backend.describe() == f"postgres workspace {workspace} (127.0.0.1:{pg_server.port}/{DATABASE})"
    assert pg_server.password not in repr(backend)


# -- history --------------------------------------------------------------------------------------


def test_history_keeps_every_earlier_serial(pg: PostgresBackend, pg_dsn: str) -> None:
    written = []
    lineage = sample_state().lineage
    for serial in range(1, 6):
        state = sample_state(serial=serial, note=f"version {serial}")
        state.lineage = lineage
        pg.write(state)
        written.append(state)
    history = kept.history(pg_dsn, pg.workspace)
    assert [serial for serial, _ in history] == [5, 4, 3, 2, 1]
    times = [when for _, when in history]
    assert times == sorted(times, reverse=True) and all(t.tzinfo is not None for t in times)
    assert [serial for serial, _ in kept.history(pg_dsn, pg.workspace, limit=2)] == [5, 4]
    second = kept.version(pg_dsn, pg.workspace, 2)
    assert second is not None and second.to_json() == written[1].to_json()
    support = second.get("assistant.support")
    assert support is not None and "version 2" in support.attributes["instructions"]
    assert kept.version(pg_dsn, pg.workspace, 6) is None
    previous = kept.previous(pg_dsn, pg.workspace)
    assert previous is not None and previous.to_json() == written[3].to_json()
    current = pg.read()
    assert current is not None and current.to_json() == written[4].to_json()


def test_history_limit_drops_only_old_serials(pg_dsn: str, workspace: str) -> None:
    backend = PostgresBackend(pg_dsn, workspace, history_limit=3)
    state = sample_state(serial=0)
    for serial in range(1, 6):
        state.serial = serial
        backend.write(state)
    assert kept.serials(pg_dsn, workspace) == [5, 4, 3]
    assert kept.version(pg_dsn, workspace, 2) is None and kept.version(pg_dsn, workspace, 3) is not None
    with pytest.raises(StateError, match="history_limit"):
        PostgresBackend(pg_dsn, workspace, history_limit=0)


def test_empty_workspace_has_no_history(pg: PostgresBackend, pg_dsn: str) -> None:
    assert pg.read() is None and kept.history(pg_dsn, pg.workspace) == []
    assert kept.previous(pg_dsn, pg.workspace) is None and kept.version(pg_dsn, pg.workspace, 1) is None


# -- workspaces -----------------------------------------------------------------------------------


def test_workspaces_in_one_database_are_independent(pg_dsn: str) -> None:
    a, b = PostgresBackend(pg_dsn, new_workspace()), PostgresBackend(pg_dsn, new_workspace())
    first = sample_state(serial=1, note="a")
    a.write(first)
    assert b.read() is None and kept.history(pg_dsn, b.workspace) == []
    other = sample_state(serial=1, note="b")  # the same serial in another workspace is fine
    b.write(other)
    assert a.read().to_json() == first.to_json()
    assert b.read().to_json() == other.to_json()
    held = a.lock("apply", 0)
    lock_b = b.lock("apply", 0)  # locking one workspace leaves the other free
    with pytest.raises(LockError, match=held.id):
        PostgresBackend(pg_dsn, a.workspace).lock("plan", 0)
    with pytest.raises(LockError, match="no lock with id"):
        b.force_unlock(held.id)
    a.unlock(held)
    b.unlock(lock_b)


def test_factory_opens_a_workspace_from_the_environment(pg_dsn: str, workspace: str) -> None:
    backend = open_backend("postgres", workspace=workspace, environ={"ASSISTPLAN_PG_DSN": pg_dsn})
    assert isinstance(backend, PostgresBackend) and backend.workspace == workspace
    backend.write(sample_state(serial=1))
    assert PostgresBackend(pg_dsn, workspace).read() is not None


# -- lost writes ----------------------------------------------------------------------------------


def test_write_with_a_serial_not_above_the_stored_one_is_refused(pg: PostgresBackend, pg_dsn: str) -> None:
    stored = sample_state(serial=3, note="stored")
    pg.write(stored)
    for serial in (3, 2):
        stale = sample_state(serial=serial, note="stale")
        stale.lineage = stored.lineage
        with pytest.raises(StateError) as caught:
            pg.write(stale)
        assert str(caught.value) == (
            f"state {pg.describe()} changed concurrently (serial 3 stored, writing {serial}): "
            "another run wrote it; run the command again"
        )
    assert pg.read().to_json() == stored.to_json()
    assert kept.serials(pg_dsn, pg.workspace) == [3]


def test_racing_first_writes_of_one_serial_let_exactly_one_win(pg_dsn: str, workspace: str) -> None:
    writers = 8
    barrier, results = threading.Barrier(writers), []

    def write(n: int) -> None:
        backend = PostgresBackend(pg_dsn, workspace)
        state = sample_state(serial=1, note=f"writer {n}")
        barrier.wait()
        try:
            backend.write(state)
            results.append(("ok", state))
        except StateError as exc:
            results.append(("refused", exc))
        finally:
            backend.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for kind, r in results if kind == "ok"]
    assert len(results) == writers and len(winners) == 1
    assert all("changed concurrently" in str(r) for kind, r in results if kind == "refused")
    stored = PostgresBackend(pg_dsn, workspace).read()
    assert stored is not None and stored.to_json() == winners[0].to_json()


# -- lock fencing ---------------------------------------------------------------------------------


def test_write_while_another_run_holds_the_lock_is_refused(pg: PostgresBackend, pg_dsn: str) -> None:
    pg.write(sample_state(serial=1))
    holder = PostgresBackend(pg_dsn, pg.workspace)
    held = holder.lock("apply", 0)
    with pytest.raises(LockError, match=f"locked by another run: ID {held.id}.*not written"):
        pg.write(sample_state(serial=2))
    holder.write(sample_state(serial=2))  # the holder may
    holder.unlock(held)
    pg.write(sample_state(serial=3))  # unlocked: anyone may
    assert pg.read().serial == 3


def test_a_force_unlocked_holder_can_no_longer_write(pg: PostgresBackend, pg_dsn: str) -> None:
    held = pg.lock("apply", 0)
    pg.write(sample_state(serial=1))
    PostgresBackend(pg_dsn, pg.workspace).force_unlock(held.id)
    with pytest.raises(LockError, match=f"lock {held.id} was released or force-unlocked.*not locked now"):
        pg.write(sample_state(serial=2))
    newcomer = PostgresBackend(pg_dsn, pg.workspace)
    taken = newcomer.lock("apply", 0)
    with pytest.raises(LockError, match=f"current lock is ID {taken.id}"):
        pg.write(sample_state(serial=2))
    with pytest.raises(LockError, match="not the current lock"):
        pg.unlock(held)
    newcomer.write(sample_state(serial=2))
    newcomer.unlock(taken)
    assert pg.read().serial == 2


def test_lock_holder_shows_the_lock(pg: PostgresBackend) -> None:
    assert pg.lock_holder() is None
    held = pg.lock("apply", 0)
    assert pg.lock_holder() == held
    pg.unlock(held)
    assert pg.lock_holder() is None


# -- a killed holder ------------------------------------------------------------------------------

_HOLDER = """
import json, os, sys
from assistplan.state import PostgresBackend
backend = PostgresBackend(os.environ["TEST_PG_DSN"], sys.argv[1])
lock = backend.lock("apply", 0)
print(json.dumps(lock.to_json()), flush=True)
sys.stdin.read()  # hold the lock until killed
"""


def test_a_killed_holders_lock_is_reported_and_can_be_force_unlocked(
    pg: PostgresBackend, pg_dsn: str
) -> None:
    pg.write(sample_state(serial=1))
    holder = run_python(_HOLDER, pg.workspace, dsn=pg_dsn)
    try:
        assert holder.stdout is not None and holder.stderr is not None
        line = holder.stdout.readline()
        assert line, holder.stderr.read()
        info = json.loads(line)
        lock_id = info["id"]
        with pytest.raises(LockError) as alive:
            pg.lock("plan", 0)
        assert f"locked by another run: ID {lock_id}, operation apply" in str(alive.value)
        assert f"(pid {holder.pid})" in str(alive.value)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=30)
    assert holder.returncode == -signal.SIGKILL

    for _ in range(300):  # the server ends the killed client's session in its own time: wait for it
        with pytest.raises(LockError) as dead:
            pg.lock("plan", 0)
        if "no longer connected" in str(dead.value):
            break
        time.sleep(0.1)
    waited: list[str] = []
    with pytest.raises(LockError) as dead:
        pg.lock("plan", 30, on_wait=waited.append)
    assert waited == []  # does not wait out the 30 s: the holder's session is gone
    message = str(dead.value)
    assert "no longer connected" in message and f"ID {lock_id}, operation apply" in message
    assert f"run `assistplan force-unlock {lock_id}`" in message
    assert pg.lock_holder() is not None and pg.lock_holder().id == lock_id
    with pytest.raises(LockError, match="locked by another run"):
        pg.write(sample_state(serial=2))  # never broken automatically

    pg.force_unlock(lock_id)
    taken = pg.lock("apply", 0)
    pg.write(sample_state(serial=2))
    pg.unlock(taken)
    assert pg.read().serial == 2


# -- 8 processes applying at once -----------------------------------------------------------------

_APPLY = """
import json, os, sys
from assistplan.errors import LockError
from assistplan.state import PostgresBackend, ResourceState, StateManager

backend = PostgresBackend(os.environ["TEST_PG_DSN"], sys.argv[1])
worker, steps = int(sys.argv[2]), int(sys.argv[3])
manager = StateManager(backend, "sandbox")
print("ready", flush=True)
sys.stdin.readline()
try:
    backend.lock("apply", 0)
    print(json.dumps({"saw": None}), flush=True)
    sys.exit(3)
except LockError as exc:
    print(json.dumps({"saw": str(exc)}), flush=True)
serials = []
log = os.open(sys.argv[4], os.O_WRONLY | os.O_APPEND)  # one write per line: never interleaved
with manager.locked("apply", 120):
    os.write(log, f"enter {worker}\\n".encode())
    state = manager.load()
    for step in range(steps):  # as apply does: persist after every remote mutation
        with manager.mutex:
            state.put(ResourceState(f"file.w{worker}_{step}", "file", remote_id=f"f-{worker}-{step}"))
        serials.append(manager.persist(state).serial)
    os.write(log, f"leave {worker}\\n".encode())
print(json.dumps({"serials": serials, "lineage": state.lineage}), flush=True)
"""


def test_eight_processes_applying_at_once_serialise_cleanly(
    pg: PostgresBackend, pg_dsn: str, tmp_path: Path
) -> None:
    workers, steps = 8, 3
    log = tmp_path / "critical-sections.log"  # each worker's entry and exit, in the order they happened
    log.touch()
    procs = [
        run_python(_APPLY, pg.workspace, str(w), str(steps), str(log), dsn=pg_dsn) for w in range(workers)
    ]
    gate = pg.lock("setup", 0)  # held until every worker has seen it
    try:
        for p in procs:
            assert p.stdout is not None and p.stderr is not None
            if p.stdout.readline().strip() != "ready":
                pytest.fail(f"worker did not start: {p.stderr.read()}")
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            seen = json.loads(p.stdout.readline())
            assert seen["saw"] is not None, "a worker took the lock while the gate held it"
            assert f"locked by another run: ID {gate.id}, operation setup" in seen["saw"]
        pg.unlock(gate)
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    results = []
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    serials = sorted(s for r in results for s in r["serials"])
    assert serials == list(range(1, workers * steps + 1))  # each serial written exactly once
    events = log.read_text().split("\n")[:-1]
    # One worker inside at a time: every entry is followed by that worker's exit.
    assert events[0::2] == [e.replace("leave", "enter") for e in events[1::2]]
    assert sorted(events[0::2]) == sorted(f"enter {w}" for w in range(workers))
    for r in results:  # and so each worker's serials are one unbroken run
        assert r["serials"] == list(range(r["serials"][0], r["serials"][0] + steps))
    assert len({r["lineage"] for r in results}) == 1  # the first apply fixed it; the rest kept it
    final = pg.read()
    assert final is not None and final.serial == workers * steps
    assert sorted(final.resources) == sorted(f"file.w{w}_{s}" for w in range(workers) for s in range(steps))
    assert kept.serials(pg_dsn, pg.workspace) == list(range(workers * steps, 0, -1))


# -- schema ---------------------------------------------------------------------------------------


def test_tables_are_created_once_when_many_race_to_create_them(pg_server: PgServer) -> None:
    import psycopg
    from psycopg import sql

    name = f"race_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(ROLE))
        )
    try:
        dsn = pg_server.dsn().replace(f"dbname={DATABASE}", f"dbname={name}")
        racers = 8
        barrier, errors = threading.Barrier(racers), []

        def first_use(n: int) -> None:
            backend = PostgresBackend(dsn, f"w{n}")
            barrier.wait()
            try:
                assert backend.read() is None
                backend.write(sample_state(serial=1))
            except BaseException as exc:
                errors.append(exc)
            finally:
                backend.close()

        threads = [threading.Thread(target=first_use, args=(n,)) for n in range(racers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with psycopg.connect(dsn) as conn:
            rows = conn.execute("SELECT count(*) FROM assistplan_states").fetchone()
        assert rows == (racers,)
    finally:
        with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_corrupt_stored_document_is_a_state_error(pg: PostgresBackend, pg_dsn: str) -> None:
    import psycopg

    pg.write(sample_state(serial=1))
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("UPDATE assistplan_states SET document = '{nope' WHERE workspace = %s", (pg.workspace,))
    with pytest.raises(StateError, match=re.escape(f"{pg.describe()}: corrupt state document (not JSON")):
        pg.read()


# -- push / pull ----------------------------------------------------------------------------------


def test_push_pull_round_trip_between_local_and_postgres(tmp_path: Path, pg: PostgresBackend) -> None:
    local = LocalBackend(tmp_path / "state.json")
    local.write(sample_state(serial=4))
    text = pull(local)
    assert text == local.path.read_text()
    written = push(pg, text)
    assert written.serial == 4
    assert pull(pg) == text
    back = LocalBackend(tmp_path / "back" / "state.json")
    push(back, pull(pg))
    assert back.path.read_text() == text
    assert pg.lock_holder() is None  # push released its lock


def test_pull_of_an_empty_backend_is_empty(pg: PostgresBackend) -> None:
    assert pull(pg) == ""


def test_push_refuses_other_lineage_and_older_serials_unless_forced(pg: PostgresBackend, pg_dsn: str) -> None:
    current = sample_state(serial=4, note="current")
    pg.write(current)

    stranger = sample_state(serial=9, note="stranger")  # another lineage
    with pytest.raises(
        StateError, match=f"lineage {stranger.lineage} differs from lineage {current.lineage}"
    ):
        push(pg, stranger.dumps(), source="other.json")

    older = current.copy()
    older.serial = 3
    with pytest.raises(StateError, match=r"other.json \(serial 3\).*newer serial 4.*--force"):
        push(pg, older.dumps(), source="other.json")

    same_serial = sample_state(serial=4, note="diverged")
    same_serial.lineage = current.lineage
    with pytest.raises(StateError, match="holds serial 4 too, with different content"):
        push(pg, same_serial.dumps())

    elsewhere = current.copy()
    elsewhere.serial = 5
    elsewhere.endpoint = "sandbox"
    with pytest.raises(StateError, match="belongs to endpoint sandbox"):
        push(pg, elsewhere.dumps())

    assert pull(pg) == current.dumps()
    assert push(pg, current.dumps()).serial == 4  # the same document again: nothing to do
    assert kept.serials(pg_dsn, pg.workspace) == [4]

    newer = current.copy()
    newer.serial = 7
    assert push(pg, newer.dumps()).serial == 7  # same lineage, higher serial: accepted as is

    forced = push(pg, older.dumps(), force=True)  # lower serial: stored as the next serial
    assert forced.serial == 8
    stored = pg.read()
    assert stored is not None and stored.serial == 8 and stored.content() == older.content()

    replaced = push(pg, stranger.dumps(), force=True)  # another lineage, higher serial: as is
    assert replaced.serial == 9 and pg.read().lineage == stranger.lineage
    assert kept.serials(pg_dsn, pg.workspace) == [9, 8, 7, 4]  # every replaced version kept


def test_push_waits_for_and_respects_the_lock(pg: PostgresBackend, pg_dsn: str) -> None:
    state = sample_state(serial=1)
    holder = PostgresBackend(pg_dsn, pg.workspace)
    held = holder.lock("apply", 0)
    with pytest.raises(LockError, match=held.id):
        push(pg, state.dumps())
    assert pg.read() is None
    told: list[str] = []

    def waiting(who: str) -> None:  # the holder lets go once the push says it waits
        told.append(who)
        holder.unlock(held)

    assert push(pg, state.dumps(), lock_timeout=60, on_lock_wait=waiting).serial == 1
    assert len(told) == 1 and held.id in told[0]


def test_push_refuses_invalid_documents(pg: PostgresBackend) -> None:
    with pytest.raises(StateError, match="s.json: empty"):
        push(pg, " \n", source="s.json")
    with pytest.raises(StateError, match="s.json: corrupt state file"):
        push(pg, "{", source="s.json")
    with pytest.raises(StateError, match="s.json: not an assistplan state"):
        push(pg, "{}", source="s.json")
    assert pg.read() is None and pg.lock_holder() is None


# -- no password in any error ---------------------------------------------------------------------


def assert_no_secret(exc: BaseException, secret: str) -> None:
    """`secret` appears nowhere: message, repr, chained exceptions, formatted traceback."""
    assert exc.__cause__ is None and exc.__context__ is None
    text = "".join(traceback.format_exception(exc))
    for shown in (str(exc), repr(exc), text):
        assert secret not in shown


def test_wrong_password_error_names_the_place_not_the_password(pg_server: PgServer, workspace: str) -> None:
    secret = "wrong-" + uuid.uuid4().hex
    backend = PostgresBackend(pg_server.dsn(password=secret), workspace)
    for attempt in (backend.read, lambda: backend.lock("apply", 0), lambda: backend.write(State(serial=1))):
        with pytest.raises(StateError) as caught:
            attempt()
        message = str(caught.value)
        assert "password authentication failed" in message
        assert (
            f"postgres workspace {workspace} ({pg_server.socket_dir}:{pg_server.port}/{DATABASE})" in message
        )
        assert_no_secret(caught.value, secret)


@pytest.mark.parametrize("form", ["keywords", "uri"])
def test_unreachable_server_error_has_no_password(pg_server: PgServer, workspace: str, form: str) -> None:
    secret = "s3cret-" + uuid.uuid4().hex
    port = _free_port()
    if form == "uri":
        dsn = f"postgresql://{ROLE}:{secret}@127.0.0.1:{port}/{DATABASE}?connect_timeout=5"
    else:
        dsn = pg_server.dsn(tcp=True, port=port, password=secret)
    backend = PostgresBackend(dsn, workspace)
    assert secret not in backend.describe() and secret not in repr(backend)
    with pytest.raises(StateError) as caught:
        backend.read()
    assert "Connection refused" in str(caught.value) and f"127.0.0.1:{port}/{DATABASE}" in str(caught.value)
    assert_no_secret(caught.value, secret)


@pytest.mark.parametrize(
    "dsn",
    [
        "host=127.0.0.1 password={secret} bogus",
        "host=127.0.0.1 password='{secret}",
        "postgresql://u:{secret}@127.0.0.1:5432/db?nosuchoption=1",
    ],
)
def test_malformed_dsn_error_has_no_password(dsn: str) -> None:
    secret = "hunter2-" + uuid.uuid4().hex
    with pytest.raises(StateError) as caught:
        backend = PostgresBackend(dsn.format(secret=secret), "default")
        backend.read()
    assert "connection string" in str(caught.value) or "invalid" in str(caught.value)
    assert_no_secret(caught.value, secret)


def test_lock_messages_never_show_the_password(pg_server: PgServer, pg_dsn: str, workspace: str) -> None:
    holder = PostgresBackend(pg_dsn, workspace)
    held = holder.lock("apply", 0)
    try:
        with pytest.raises(LockError) as caught:
            PostgresBackend(pg_dsn, workspace).lock("plan", 0.05)
        assert_no_secret(caught.value, pg_server.password)
    finally:
        holder.unlock(held)
