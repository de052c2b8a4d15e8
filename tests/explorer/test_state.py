"""The dashboard's one results store: made once, shared by threads, safe across fork."""

import os
import threading
import time

from explorer import state


def test_an_entry_is_made_once_for_concurrent_callers():
    made = []

    def slow():
        made.append(1)
        time.sleep(0.2)
        return "value"

    threads = [threading.Thread(target=state._remembered, args=(("test", "once"), slow))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert made == [1] and state._remembered(("test", "once"), lambda: "other") == "value"
    state.forget()


def test_a_job_forked_while_a_request_makes_an_entry_does_not_hang():
    """A background job's worker is forked while a request thread is making the entry the
    job needs (its lock held); the child must make the entry itself, not wait forever."""
    started, release = threading.Event(), threading.Event()

    def held_open():
        started.set()
        release.wait(10)
        return "parent"

    thread = threading.Thread(target=state._remembered, args=(("test", "fork"), held_open))
    thread.start()
    started.wait(5)
    pid = os.fork()
    if pid == 0:  # the job's worker
        try:
            ok = state._remembered(("test", "fork"), lambda: "child") == "child"
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise AssertionError("the forked worker hung on the parent's lock")
    release.set()
    thread.join()
    assert os.waitstatus_to_exitcode(status) == 0
    state.forget()
