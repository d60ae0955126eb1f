"""Only one `serve` runs the jobs on a database; the lock goes with the process that holds it."""

from __future__ import annotations

from groundswell import store
from groundswell.service import SchedulerLock


def test_one_holder_at_a_time_and_the_next_takes_over_on_release(engine, db_url) -> None:
    other = store.make_engine(db_url)  # a second process's engine on the same database
    first, second = SchedulerLock(engine), SchedulerLock(other)
    try:
        assert first.acquire() and first.acquire()  # holding it, asking again is fine
        assert not second.acquire()
        first.release()
        assert second.acquire()
        assert not SchedulerLock(engine).acquire()
    finally:
        first.release()
        second.release()
        other.dispose()
