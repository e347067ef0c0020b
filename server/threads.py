"""The threads that run the synchronous part of HTTP requests (server.handler).

A bounded pool of threads, started as needed up to REQUEST_THREADS and then
reused: no new OS thread per request. Each request gets a `Lane`: its first call
runs on any free thread, and every later call of the same request runs on that
same thread, so a request's sync code sees one thread (Django's database
connections are per thread) while requests do not wait behind each other for a
particular thread.
"""

import threading
from collections import deque
from concurrent.futures import Future

from django.conf import settings


class RequestThreads:
    def __init__(self, size, name="request"):
        if size < 1:
            raise ValueError("a thread pool needs at least one thread")
        self.size = size
        self.name = name
        self._cond = threading.Condition()
        self._shared = deque()  # calls any thread may take
        self._workers = []
        self._waiting = 0

    def lane(self):
        return Lane(self)

    def thread_count(self):
        return len(self._workers)

    def _put(self, item, worker):
        with self._cond:
            if worker is not None:
                worker.calls.append(item)
                self._cond.notify_all()
                return
            self._shared.append(item)
            if len(self._shared) > self._waiting and len(self._workers) < self.size:
                self._workers.append(_Worker(self, len(self._workers) + 1))
            self._cond.notify()

    def _next(self, worker):
        """The next call for `worker`: its request's own first, then any request's."""
        with self._cond:
            while True:
                if worker.calls:
                    return worker.calls.popleft()
                if self._shared:
                    item = self._shared.popleft()
                    if self._shared and self._waiting:
                        self._cond.notify()
                    lane = item[-1]
                    if lane.worker is None:
                        lane.worker = worker
                    if lane.worker is worker:
                        return item
                    # Queued before its request's first call had picked a thread.
                    lane.worker.calls.append(item)
                    self._cond.notify_all()
                    continue
                self._waiting += 1
                self._cond.wait()
                self._waiting -= 1


class _Worker:
    def __init__(self, pool, number):
        self.pool = pool
        self.calls = deque()  # calls of the requests this thread serves
        self.thread = threading.Thread(target=self._run, name=f"{pool.name}-{number}", daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            future, fn, args, kwargs, _lane = self.pool._next(self)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)
                del exc
            else:
                future.set_result(result)
            del future, fn, args, kwargs, _lane


class Lane:
    """One request's view of the pool, an Executor as asyncio and asgiref use it
    (asgiref.sync.ThreadSensitiveContext(executor=...))."""

    def __init__(self, pool):
        self.pool = pool
        self.worker = None

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        self.pool._put((future, fn, args, kwargs, self), self.worker)
        return future

    def shutdown(self, wait=True, *, cancel_futures=False):
        """The pool outlives its lanes."""


_pool = None
_pool_lock = threading.Lock()


def request_threads():
    """This process's pool, made on first use with settings.REQUEST_THREADS threads at most."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = RequestThreads(settings.REQUEST_THREADS)
    return _pool
