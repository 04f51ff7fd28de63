"""Running a schema build's DDL on the server while the next statements are being built.

Through Alembic, a baseline's upgrade alternates two kinds of work and never does both at
once: Alembic builds an operation and SQLAlchemy compiles it (Python), then the server runs it
while Python waits (on PostgreSQL much of that wait is the server creating and syncing files;
bench/README.md has the measurements). Here each DDL statement is
handed to a worker thread that runs it while the caller builds the next ones, as `psql`
streaming a file keeps the server busy. Anything else (a query whose rows are read, a commit)
first waits until every statement before it has run, so what the caller reads is what it
would read statement by statement.

In autocommit (adopt's own scratch databases, see `connect.create`), `CREATE INDEX` runs on
a connection of its own, beside the table statements: an index starts once every statement
before it has run (its table exists), and a statement that is not `CREATE TABLE` or
`CREATE INDEX` waits for every index before it. A `CREATE TABLE` waits only for the unique
indexes before it, which a foreign key of it may need. Whatever two connections run at once
is thus independent, and the server's locks order the rest (a new foreign key waits for an
index build on the table it refers to). On MySQL and MariaDB, which commit every DDL
statement on its own with a flush of the log, several index connections run indexes of
different tables at once, so that the server flushes them together (INDEX_WORKERS).

On PostgreSQL through psycopg or psycopg2, in autocommit, a worker sends the CREATE TABLE and
CREATE INDEX statements ready in its queue together, up to BATCH in one round trip: between two
statements the server would otherwise wait for this process to take the result and send the
next, which, while another thread holds the GIL (the check beside the rebuild), is longer than
the statement itself (bench/README.md, the rebuild's measurements). Several statements in one query
string run as one implicit transaction, so a batch that fails has changed nothing: its
statements are then run again one by one, which finds the one that failed. A batch keeps its
locks to its end: two running batches never share a table (see _Lanes._may_start).

The first statement that fails stops every worker; the statements queued after it are not run,
and the error is raised at the caller's next statement (or when the block ends), naming the
statement that failed, as SQLAlchemy would have."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateIndex
from sqlalchemy.schema import CreateTable

from adopt._speedups import enabled
from adopt.reading import connect

# Statements queued at most: enough to keep the server busy through a pause of the caller
# (a garbage collection, the GIL held by another thread), few enough that progress counted
# in statements built stays close to the statements run, and that a build called off stops
# soon.
DEPTH = 64

# The dialect methods that reach the connection: each waits for the queue first.
_WAITING = ("do_execute_no_params", "do_executemany", "do_commit", "do_rollback", "do_close")

# Statements sent in one round trip at most (see the module's docstring): enough that the
# server rarely waits between them, few enough that a batch holds few locks.
BATCH = 16

# Drivers that send a query string with several statements as it is (the simple query
# protocol), formatting it with empty parameters as they format one statement.
_BATCHING_DRIVERS = ("psycopg", "psycopg2")

_NONE = -1  # "after nothing"
_TABLES, _INDEXES = 0, 1  # the two lanes: one queue each

# Connections running the index lane, by dialect (one elsewhere). MariaDB flushes its log at
# the end of each DDL statement: index statements run side by side share the flushes
# (bench/mariadb_lanes.py measures the server's build over several connections).
INDEX_WORKERS = {"mysql": 3}


@dataclass
class _Statement:
    seq: int  # its place in the order the caller gave
    text: str
    parameters: Any
    after: int  # runs once the other lane has run every statement up to this place
    batchable: bool = False  # may be sent with the statements beside it (see _Lanes._take)
    # Tables made before that it locks and that the other lane's statements lock too: those a
    # CREATE TABLE's foreign keys refer to, the table a CREATE INDEX is on.
    locks: frozenset[str] = frozenset()


@dataclass
class _Failure:
    seq: int
    worker: int
    error: BaseException
    text: str
    parameters: Any


class _Lanes:
    """Queued statements and the workers that run them: the tables lane (0) by a worker on the
    caller's connection, the indexes lane (1) by a worker on each further connection."""

    def __init__(
        self, dialect: Any, execute: Any, connections: list[Any], *, batching: bool = False
    ) -> None:
        self._dialect = dialect
        self._batching = batching
        self._execute = execute  # the dialect's own do_execute
        self._connections = connections
        # The lane of each worker: worker 0 the tables, the others the indexes.
        self._lane_of = [_TABLES] + [_INDEXES] * (len(connections) - 1)
        self._queues: list[deque[_Statement]] = [deque() for _ in set(self._lane_of)]
        # The batch each worker is running (empty when idle): all of it counts as not yet run.
        self._running: list[list[_Statement]] = [[] for _ in connections]
        self._closing = False
        self._discarded = False
        self._failures: list[_Failure] = []
        self._seq = 0
        self._changed = threading.Condition()
        self._threads = [
            threading.Thread(target=self._work, args=(w,), name=f"adopt-ddl-{w}", daemon=True)
            for w in range(len(connections))
        ]
        for thread in self._threads:
            thread.start()

    @property
    def parallel(self) -> bool:
        return len(self._connections) > 1

    def submit(
        self,
        lane: int,
        text: str,
        parameters: Any,
        after: int,
        *,
        batchable: bool = False,
        locks: frozenset[str] = frozenset(),
    ) -> int:
        """Queue a statement; its place in the order."""
        with self._changed:
            while len(self._queues[lane]) >= DEPTH and not self._failures:
                self._changed.wait()
            self._raise_failure()
            self._seq += 1
            statement = _Statement(self._seq, text, parameters, after, batchable, locks)
            self._queues[lane].append(statement)
            self._changed.notify_all()
            return self._seq

    def last(self) -> int:
        """The place of the last statement queued."""
        return self._seq

    def wait(self) -> None:
        """Until every queued statement has run; raises the first failure."""
        with self._changed:
            while self._busy() and not self._failures:
                self._changed.wait()
            self._raise_failure()

    def close(self, *, discard: bool) -> None:
        """Stop the workers: after what is queued has run, or at once, dropping it (a statement
        the server is running finishes first: the connections stay usable)."""
        with self._changed:
            if discard:
                self._discarded = True
                for queue in self._queues:
                    queue.clear()
            self._closing = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()

    def _busy(self) -> bool:
        return any(self._queues) or any(self._running)

    def _oldest(self, lane: int) -> float:
        """The place of the oldest statement of `lane` not yet run (infinity when none)."""
        queue = self._queues[lane]
        places = [queue[0].seq] if queue else []
        places += [
            running[0].seq
            for worker, running in enumerate(self._running)
            if running and self._lane_of[worker] == lane
        ]
        return min(places, default=float("inf"))

    def _ready(self, worker: int) -> bool:
        queue = self._queues[self._lane_of[worker]]
        if not queue or self._running[worker]:
            return False
        return self._may_start(worker, queue[0])

    def _may_start(self, worker: int, statement: _Statement) -> bool:
        """Whether `statement` may start now beside what the other workers are running: once
        the other lane has run every statement before its `after`, and never on a table another
        worker's running batch locks. A batch holds its locks to its end; two batches each
        holding a table the other waits for (an index batch on A then B, a table batch with
        foreign keys to B then A) would deadlock, so no two running batches share a table."""
        if not self.parallel:
            return True
        other = 1 - self._lane_of[worker]
        if self._oldest(other) <= statement.after:
            return False
        return not any(
            statement.locks & running.locks
            for each, batch in enumerate(self._running)
            if each != worker
            for running in batch
        )

    def _take(self, worker: int) -> list[_Statement]:
        """The next statement of a ready worker's lane, with the batchable ones after it that
        may start now (see _may_start), up to BATCH (when batching)."""
        queue = self._queues[self._lane_of[worker]]
        batch = [queue.popleft()]
        while (
            self._batching
            and batch[0].batchable
            and queue
            and len(batch) < BATCH
            and queue[0].batchable
            and self._may_start(worker, queue[0])
        ):
            batch.append(queue.popleft())
        return batch

    def _work(self, worker: int) -> None:
        connection = self._connections[worker]
        lane = self._lane_of[worker]
        while True:
            with self._changed:
                while not self._failures and not self._ready(worker):
                    if self._closing and not self._queues[lane]:
                        return
                    self._changed.wait()
                if self._failures:
                    return
                batch = self._take(worker)
                self._running[worker] = batch
            failure = self._run(worker, connection, batch)
            with self._changed:
                self._running[worker] = []
                if failure is not None:
                    self._failures.append(failure)
                    for queue in self._queues:
                        queue.clear()
                self._changed.notify_all()
            if failure is not None:
                return

    def _run(self, worker: int, connection: Any, batch: list[_Statement]) -> _Failure | None:
        """Run `batch` on `connection`; the failure of the statement that failed, if any."""
        first = batch[0]
        text = first.text if len(batch) == 1 else ";\n".join(s.text for s in batch)
        try:
            self._send(connection, text, first.parameters)
            return None
        except BaseException as exc:  # handed to the caller's thread
            if len(batch) == 1 or not self._retryable(exc, connection):
                # The connection is gone: which of the batch failed cannot be told.
                return _Failure(first.seq, worker, exc, text, first.parameters)
        for statement in batch:  # the batch changed nothing: find the statement that failed
            with self._changed:
                if self._failures or self._discarded:  # another worker failed, or the caller
                    return None
            try:
                self._send(connection, statement.text, statement.parameters)
            except BaseException as exc:
                return _Failure(statement.seq, worker, exc, statement.text, statement.parameters)
        return None  # it failed for a moment only (a lock timeout, a deadlock) and ran now

    def _send(self, connection: Any, text: str, parameters: Any) -> None:
        cursor = connection.cursor()
        try:
            self._execute(cursor, text, parameters)
        finally:
            cursor.close()

    def _retryable(self, error: BaseException, connection: Any) -> bool:
        """An error of the statements, not of the connection."""
        return isinstance(error, self._dialect.loaded_dbapi.Error) and not (
            self._dialect.is_disconnect(error, connection, None)
        )

    def _raise_failure(self) -> None:
        if not self._failures:
            return
        # Of two statements that failed at once, the earlier one is the one a run statement
        # by statement would have stopped at.
        failed = min(self._failures, key=lambda f: f.seq)
        error = failed.error
        dbapi_error = self._dialect.loaded_dbapi.Error
        if not isinstance(error, dbapi_error):
            raise error
        connection = self._connections[failed.worker]
        invalidated = bool(self._dialect.is_disconnect(error, connection, None))
        raise DBAPIError.instance(
            failed.text,
            failed.parameters,
            error,
            dbapi_error,
            connection_invalidated=invalidated,
            dialect=self._dialect,
        ) from error


def _index_connections(conn: Connection) -> list[Any]:
    """The connections for the indexes (INDEX_WORKERS of them), in autocommit only: in a
    transaction, another session would not see the tables the first has not committed. Fewer,
    or none, when the server's connection limit is reached: then everything runs on what
    there is."""
    if not conn.info.get(connect.AUTOCOMMIT):
        return []
    found = []
    for _ in range(INDEX_WORKERS.get(conn.dialect.name, 1)):
        try:
            found.append(conn.engine.raw_connection())
        except Exception:
            break
    return found


@contextmanager
def ddl_behind(conn: Connection) -> Iterator[None]:
    """While the block runs, DDL that `conn` executes runs in the background, in order.

    Only statements compiled from DDL constructs (SQLAlchemy's `isddl`, which is what
    Alembic's schema operations produce) are queued; everything else waits for the queue and
    runs as usual. On an error in the block, what is still queued is dropped."""
    dialect = conn.dialect
    # SQLite is in-process: nothing to wait for, nothing to overlap.
    if dialect.name == "sqlite" or not enabled():
        yield
        return
    own = conn.connection.dbapi_connection
    others = _index_connections(conn)
    connections = [own, *(other.dbapi_connection for other in others)]
    originals = {name: getattr(dialect, name) for name in ("do_execute", *_WAITING)}
    batching = (
        dialect.name == "postgresql"
        and dialect.driver in _BATCHING_DRIVERS
        and bool(conn.info.get(connect.AUTOCOMMIT))
    )
    lanes = _Lanes(dialect, originals["do_execute"], connections, batching=batching)
    unique_index = _NONE  # the place of the last unique index queued

    def do_execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        nonlocal unique_index
        # A driver whose cursors hold their connection otherwise (a proxy) runs as usual.
        mine = getattr(cursor, "connection", None) is own
        if context is None or not context.isddl or not mine:
            lanes.wait()
            originals["do_execute"](cursor, statement, parameters, context)
            return
        element = context.compiled.statement
        batchable = _batchable(element, statement, parameters)
        if not lanes.parallel:
            lanes.submit(_TABLES, statement, parameters, _NONE, batchable=batchable)
        elif isinstance(element, CreateIndex) and not _concurrently(statement):
            seq = lanes.submit(
                _INDEXES,
                statement,
                parameters,
                lanes.last(),
                batchable=batchable,
                locks=_index_locks(element.element),
            )
            if element.element.unique:
                unique_index = seq
        elif isinstance(element, CreateTable):
            lanes.submit(
                _TABLES,
                statement,
                parameters,
                unique_index,
                batchable=batchable,
                locks=_foreign_key_locks(element.element),
            )
        else:
            lanes.submit(_TABLES, statement, parameters, lanes.last())

    def waiting(name: str) -> Any:
        original = originals[name]

        def call(*args: Any, **kwargs: Any) -> Any:
            lanes.wait()
            return original(*args, **kwargs)

        return call

    # The dialect is the engine's; the scratch engine this runs on serves only this
    # connection meanwhile (adopt's scratch engines are NullPool, one connection at a time).
    dialect.do_execute = do_execute  # type: ignore[method-assign]
    for name in _WAITING:
        setattr(dialect, name, waiting(name))
    try:
        yield
        lanes.wait()
    except BaseException as exc:
        _end(lanes, dialect, originals, discard=True)
        if isinstance(exc, DBAPIError) and exc.connection_invalidated and not conn.invalidated:
            conn.invalidate(exc)  # the server is gone: no rollback on the way out
        raise
    finally:
        _end(lanes, dialect, originals, discard=False)
        for other in others:
            # Closed as it is, without the pool's reset (a rollback), which would fail and
            # log a traceback on a connection the server has dropped.
            with suppress(Exception):
                other.invalidate()


def _batchable(element: Any, statement: str, parameters: Any) -> bool:
    """CREATE TABLE and CREATE INDEX without parameters: statements that may run in a
    transaction, as a batch does (not CREATE INDEX CONCURRENTLY, which is refused there)."""
    return (
        isinstance(element, CreateTable | CreateIndex)
        and not parameters
        and not _concurrently(statement)
    )


def _index_locks(index: Any) -> frozenset[str]:
    table = getattr(index, "table", None)
    return frozenset([table.fullname]) if table is not None else frozenset()


def _foreign_key_locks(table: Any) -> frozenset[str]:
    """The tables a new table's foreign keys refer to ("schema.table" as Table.fullname)."""
    found = set()
    for constraint in getattr(table, "foreign_key_constraints", ()):
        for element in constraint.elements:
            found.add(element.target_fullname.rsplit(".", 1)[0])
    return frozenset(found)


def _concurrently(statement: str) -> bool:
    """CREATE INDEX CONCURRENTLY waits for every transaction running beside it, one of which
    may wait for it (a new foreign key to its table): it runs alone, as any statement that is
    neither CREATE TABLE nor CREATE INDEX does."""
    return "CONCURRENTLY" in statement.upper()


def _end(lanes: _Lanes, dialect: Any, originals: dict[str, Any], *, discard: bool) -> None:
    """Stop the workers and give the dialect its own methods back (once)."""
    lanes.close(discard=discard)
    for name in originals:
        if name in vars(dialect):
            delattr(dialect, name)
