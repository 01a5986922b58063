"""Per-thread measurement probes and the lock proxies of the Concurrency Lens harness.

Each thread keeps its /proc files open (read with os.pread, about 1 µs). Locks created by
user code are replaced by thin proxies that time waits and holds, keyed by their creation
site, and record the order in which each thread takes them (a lockdep-style graph).
"""

import os
import sys
import threading
import time
import traceback

_perf_ns = time.perf_counter_ns
_real_lock = threading.Lock
_real_rlock = threading.RLock
_real_semaphore = threading.Semaphore
_real_bounded_semaphore = threading.BoundedSemaphore
_real_condition = threading.Condition

# Locks are only instrumented when user code creates them under this root (set by install()).
user_root = None
_max_spans_per_task = 2000
# A task's first acquisitions of each lock are all timed; after that, one uncontended
# acquisition in 16 (contended ones always are), and hold time is scaled up from those.
_TIMED_FIRST = 256
_UNTIMED_MASK = 15
_thread_state = threading.local()
_edges_seen = {}
_live_proxies = []


# ---------------------------------------------------------------------------------------
# Per-thread /proc readers: opened once per thread, read with os.pread (about 1 µs).

class _ThreadProbe:
    __slots__ = ("tid", "stat_fd", "schedstat_fd", "held", "lock_spans", "lock_stats", "new_edges")

    def __init__(self):
        self.tid = threading.get_native_id()
        self.stat_fd = _open_or_none("/proc/thread-self/stat")
        self.schedstat_fd = _open_or_none("/proc/thread-self/schedstat")
        self.held = []
        self.lock_spans = []
        self.lock_stats = {}
        self.new_edges = []


def _open_or_none(path):
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None


def _after_fork_in_child():
    # Only the forking thread lives on in the child, and its probe holds the parent's /proc
    # files and thread id: drop it so that the next use opens the child's.
    try:
        del _thread_state.probe
    except AttributeError:
        pass


os.register_at_fork(after_in_child=_after_fork_in_child)


def thread_probe():
    try:
        return _thread_state.probe
    except AttributeError:
        probe = _thread_state.probe = _ThreadProbe()
        return probe


def read_core(probe):
    if probe.stat_fd is None:
        return -1
    data = os.pread(probe.stat_fd, 1024, 0)
    # Field 39 (processor); fields after the last ')' start at field 3.
    return int(data[data.rindex(b")") + 2:].split()[36])


def read_runq(probe):
    if probe.schedstat_fd is None:
        return 0
    return int(os.pread(probe.schedstat_fd, 128, 0).split()[1])


# ---------------------------------------------------------------------------------------
# Lock proxies: time acquire wait and hold, keyed by the creation site in user code.

def _user_site(depth):
    frame = sys._getframe(depth)
    filename = frame.f_code.co_filename
    if user_root is None or not filename.startswith(user_root):
        return None
    return (os.path.relpath(filename, user_root), frame.f_lineno)


# Frames of the harness's own modules are cut from the top of a dumped stack.
_HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))


def display_path(filename):
    if user_root is not None and filename.startswith(user_root):
        return os.path.relpath(filename, user_root)
    return filename


def _user_frames(frames):
    """Frames of the user's code, file names relative to the workspace root."""
    return [
        {"file": os.path.relpath(f.filename, user_root), "line": f.lineno, "function": f.name}
        for f in frames if f.filename.startswith(user_root)
    ]


def _short_stack():
    return _user_frames(traceback.extract_stack(sys._getframe(3), limit=12))


class _ProxyBase:
    __slots__ = ("_real", "_site", "_kind", "_owner", "_waiters", "__weakref__")
    _counting = False

    def __init__(self, real, site, kind):
        self._real = real
        self._site = site
        self._kind = kind
        self._owner = None
        self._waiters = set()
        _live_proxies.append(self)

    def _note_acquired(self, probe, t_request, t_acquired, reentrant):
        """A blocking or restored acquisition: always timed (its wait is what the verdict weighs)."""
        self._owner = probe.tid
        held = probe.held
        if reentrant:
            held.append((self, None, None, True, None))
            return
        if held:
            self._note_order(probe)
        stats = probe.lock_stats.get(self._site) or self._new_stats(probe)
        stats[0] += 1
        held.append((self, t_request, t_acquired, False, stats))

    def _note_uncontended(self, probe, held):
        """An acquisition that did not wait: counted and put on the held stack, its hold timed
        only for the first ones and then one in 16 (timing every one lengthens every critical
        section, see __exit__)."""
        if held:
            self._note_order(probe)
        stats = probe.lock_stats.get(self._site) or self._new_stats(probe)
        count = stats[0] = stats[0] + 1
        if count > _TIMED_FIRST and count & _UNTIMED_MASK:
            held.append((self, None, None, False, stats))
        else:
            t_acquired = _perf_ns()
            held.append((self, t_acquired, t_acquired, False, stats))

    def _new_stats(self, probe):
        # acquisitions, wait, hold of the timed ones, contended, max wait, kind, timed ones
        stats = probe.lock_stats[self._site] = [0, 0, 0, 0, 0, self._kind, 0]
        return stats

    def _note_order(self, probe):
        site = self._site
        for entry in probe.held:
            other = entry[0]._site
            if other != site:
                key = (other, site)
                if key not in _edges_seen:
                    _edges_seen[key] = True
                    probe.new_edges.append({
                        "from": {"file": other[0], "line": other[1]},
                        "to": {"file": site[0], "line": site[1]},
                        "pid": os.getpid(), "tid": probe.tid, "stack": _short_stack(),
                    })

    def _note_released(self):
        probe = thread_probe()
        held = probe.held
        if held and held[-1][0] is self:
            _, t_request, t_acquired, reentrant, stats = held.pop()
        else:
            for index in range(len(held) - 2, -1, -1):
                if held[index][0] is self:
                    _, t_request, t_acquired, reentrant, stats = held.pop(index)
                    break
            else:
                # Released by a thread that did not acquire it (semaphore hand-off): no hold span.
                return
        if reentrant:
            return
        # Only a counting semaphore can be held twice by one thread without being reentrant;
        # skipping the scan for locks keeps the hot path short.
        if not self._counting or not any(entry[0] is self for entry in held):
            self._owner = None
        if t_acquired is None:
            # Counted when acquired; its hold is estimated from the timed ones.
            return
        t_released = _perf_ns()
        stats[6] += 1
        stats[2] += t_released - t_acquired
        wait = t_acquired - t_request
        if wait:
            stats[1] += wait
            if wait > 50_000:
                stats[3] += 1
            if wait > stats[4]:
                stats[4] = wait
        spans = probe.lock_spans
        if len(spans) < _max_spans_per_task:
            spans.append((self._site, t_request, t_acquired, t_released))

    def _timed_acquire(self, blocking=True, timeout=-1):
        # The try-lock comes first so that nothing widens the gap between a release and the
        # releasing thread's next acquire (see __exit__).
        if self._real.acquire(False):
            probe = thread_probe()
            held = probe.held
            self._owner = probe.tid
            if self._kind == "RLock" and any(entry[0] is self for entry in held):
                held.append((self, None, None, True, None))
                return True
            self._note_uncontended(probe, held)
            return True
        if not blocking:
            return False
        t_request = _perf_ns()
        probe = thread_probe()
        tid = probe.tid
        self._waiters.add(tid)
        try:
            acquired = self._real.acquire(True, timeout)
        finally:
            self._waiters.discard(tid)
        if acquired:
            # A failed try-lock is never a re-entry: an RLock's owner always gets it at once.
            self._note_acquired(probe, t_request, _perf_ns(), False)
        return acquired

    acquire = _timed_acquire

    def release(self):
        self._note_released()
        self._real.release()

    def __enter__(self):
        return self._timed_acquire()

    def __exit__(self, exc_type, exc, tb):
        # `release` inlined: `with lock:` is the hot path of lock-heavy user code. The
        # bookkeeping runs before the real release, still inside the critical section: after
        # it, a waiter woken by the release would win the lock while this thread is still
        # busy here, and two threads would hand the lock (and the GIL) back and forth on
        # every iteration, a convoy that bare code does not have (1.6x slower, measured).
        self._note_released()
        self._real.release()

    def locked(self):
        return self._real.locked()

    def __repr__(self):
        return "<conclens %s from %s:%d>" % (self._kind, self._site[0], self._site[1])


class _LockProxy(_ProxyBase):
    __slots__ = ()

    def __enter__(self):
        # _timed_acquire without the RLock re-entry test: a plain Lock's `with` is the
        # hottest path of lock-heavy code.
        if self._real.acquire(False):
            probe = thread_probe()
            self._owner = probe.tid
            self._note_uncontended(probe, probe.held)
            return True
        return self._timed_acquire()

    def __exit__(self, exc_type, exc, tb):
        held = thread_probe().held
        if held and held[-1][0] is self and held[-1][2] is None:
            # An untimed hold on top of the stack: nothing to record but its end.
            held.pop()
            self._owner = None
        else:
            self._note_released()
        self._real.release()

    def _is_owned(self):
        # Condition's owner check for a plain Lock, without recording an acquisition.
        if self._real.acquire(False):
            self._real.release()
            return False
        return True

    def _at_fork_reinit(self):
        self._real._at_fork_reinit()


class _RLockProxy(_ProxyBase):
    __slots__ = ()

    def _is_owned(self):
        return self._real._is_owned()

    def _release_save(self):
        # Condition.wait releases every recursion level at once.
        state = self._real._release_save()
        probe = thread_probe()
        while any(entry[0] is self for entry in probe.held):
            self._note_released()
        return state

    def _acquire_restore(self, state):
        t_request = _perf_ns()
        self._real._acquire_restore(state)
        self._note_acquired(thread_probe(), t_request, _perf_ns(), False)

    def _at_fork_reinit(self):
        self._real._at_fork_reinit()


class _SemaphoreProxy(_ProxyBase):
    __slots__ = ()
    _counting = True

    def release(self, n=1):
        self._real.release(n)
        for _ in range(n):
            self._note_released()

    def locked(self):
        return self._real._value == 0


def _make_lock():
    site = _user_site(2)
    return _real_lock() if site is None else _LockProxy(_real_lock(), site, "Lock")


def _make_rlock(*args, **kwargs):
    site = _user_site(2)
    real = _real_rlock(*args, **kwargs)
    return real if site is None else _RLockProxy(real, site, "RLock")


def _make_semaphore(value=1):
    site = _user_site(2)
    real = _real_semaphore(value)
    return real if site is None else _SemaphoreProxy(real, site, "Semaphore")


def _make_bounded_semaphore(value=1):
    site = _user_site(2)
    real = _real_bounded_semaphore(value)
    return real if site is None else _SemaphoreProxy(real, site, "BoundedSemaphore")


def _make_condition(lock=None):
    site = _user_site(2)
    if site is not None and lock is None:
        lock = _RLockProxy(_real_rlock(), site, "Condition")
    return _real_condition(lock)


def _set_factories(lock, rlock, semaphore, bounded_semaphore, condition):
    threading.Lock, threading.RLock, threading.Semaphore = lock, rlock, semaphore
    threading.BoundedSemaphore, threading.Condition = bounded_semaphore, condition


def install(root):
    global user_root
    user_root = os.path.join(os.path.realpath(root), "")
    _set_factories(_make_lock, _make_rlock, _make_semaphore, _make_bounded_semaphore, _make_condition)


def uninstall():
    """Puts the real factories back (a worker of an existing Dask cluster outlives the profile)."""
    global user_root
    user_root = None
    _set_factories(_real_lock, _real_rlock, _real_semaphore, _real_bounded_semaphore, _real_condition)


def installed():
    return threading.Lock is _make_lock


def lock_state():
    """Current holders and waiters of every user lock in this process (for timeout dumps)."""
    state = []
    for proxy in _live_proxies:
        if proxy._owner is not None or proxy._waiters:
            state.append({
                "site": {"file": proxy._site[0], "line": proxy._site[1]},
                "kind": proxy._kind, "pid": os.getpid(),
                "holderTid": proxy._owner, "waiterTids": sorted(proxy._waiters),
            })
    return state


def thread_stacks():
    names = {t.ident: (t.name, t.native_id) for t in threading.enumerate()}
    stacks = []
    for ident, frame in sys._current_frames().items():
        name, native = names.get(ident, ("?", None))
        frames = traceback.extract_stack(frame)
        # The lock proxy's own frames on top would hide the user's line that is waiting.
        while len(frames) > 1 and os.path.dirname(frames[-1].filename) == _HARNESS_DIR:
            frames.pop()
        stacks.append({
            "pid": os.getpid(), "tid": native, "name": name,
            "frames": [{"file": display_path(f.filename), "line": f.lineno, "function": f.name} for f in frames],
        })
    return stacks

