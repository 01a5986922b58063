"""Concurrency Lens pool harness: runs one user function serially, under ThreadPoolExecutor
and under ProcessPoolExecutor, and measures every task.

Standard library only. Started by the Node runner as `python conclens_harness.py` with the
configuration as JSON on stdin. Results go out as JSON lines on the file descriptor named in
the configuration (never stdout: the user's own output is captured separately).

The script imports itself as the module `conclens_harness` so that the task wrappers are
module-level functions of an importable module and pickle under both fork and spawn.
"""

import json
import os
import pickle
import signal
import sys
import threading
import time
import traceback

_perf_ns = time.perf_counter_ns
_cpu_ns = time.thread_time_ns
_real_lock = threading.Lock
_real_rlock = threading.RLock
_real_semaphore = threading.Semaphore
_real_bounded_semaphore = threading.BoundedSemaphore
_real_condition = threading.Condition

# Locks are only instrumented when user code creates them; these are set by _install().
_user_root = None
_max_spans_per_task = 2000
# Task spans over all runs: about 400 bytes each in the trace, so about 120 MB at the cap.
_MAX_TASK_SPANS = 300_000
# A task's first acquisitions of each lock are all timed; after that, one uncontended
# acquisition in 16 (contended ones always are), and hold time is scaled up from those.
_TIMED_FIRST = 256
_UNTIMED_MASK = 15
_thread_state = threading.local()
_edges_seen = {}
_live_proxies = []
_dump_dir = None


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


def _probe():
    try:
        return _thread_state.probe
    except AttributeError:
        probe = _thread_state.probe = _ThreadProbe()
        return probe


def _read_core(probe):
    if probe.stat_fd is None:
        return -1
    data = os.pread(probe.stat_fd, 1024, 0)
    # Field 39 (processor); fields after the last ')' start at field 3.
    return int(data[data.rindex(b")") + 2:].split()[36])


def _read_runq(probe):
    if probe.schedstat_fd is None:
        return 0
    return int(os.pread(probe.schedstat_fd, 128, 0).split()[1])


# ---------------------------------------------------------------------------------------
# Lock proxies: time acquire wait and hold, keyed by the creation site in user code.

def _user_site(depth):
    frame = sys._getframe(depth)
    filename = frame.f_code.co_filename
    if _user_root is None or not filename.startswith(_user_root):
        return None
    return (os.path.relpath(filename, _user_root), frame.f_lineno)


_HARNESS_FILE = os.path.abspath(__file__)


def _display_path(filename):
    if _user_root is not None and filename.startswith(_user_root):
        return os.path.relpath(filename, _user_root)
    return filename


def _user_frames(frames):
    """Frames of the user's code, file names relative to the workspace root."""
    return [
        {"file": os.path.relpath(f.filename, _user_root), "line": f.lineno, "function": f.name}
        for f in frames if f.filename.startswith(_user_root)
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
        probe = _probe()
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
            probe = _probe()
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
        probe = _probe()
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
            probe = _probe()
            self._owner = probe.tid
            self._note_uncontended(probe, probe.held)
            return True
        return self._timed_acquire()

    def __exit__(self, exc_type, exc, tb):
        held = _probe().held
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
        probe = _probe()
        while any(entry[0] is self for entry in probe.held):
            self._note_released()
        return state

    def _acquire_restore(self, state):
        t_request = _perf_ns()
        self._real._acquire_restore(state)
        self._note_acquired(_probe(), t_request, _perf_ns(), False)

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


def _install_lock_proxies(user_root):
    global _user_root
    _user_root = os.path.join(os.path.realpath(user_root), "")
    threading.Lock = _make_lock
    threading.RLock = _make_rlock
    threading.Semaphore = _make_semaphore
    threading.BoundedSemaphore = _make_bounded_semaphore
    threading.Condition = _make_condition


def _lock_state():
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


def _thread_stacks():
    names = {t.ident: (t.name, t.native_id) for t in threading.enumerate()}
    stacks = []
    for ident, frame in sys._current_frames().items():
        name, native = names.get(ident, ("?", None))
        frames = traceback.extract_stack(frame)
        # The lock proxy's own frames on top would hide the user's line that is waiting.
        while len(frames) > 1 and frames[-1].filename == _HARNESS_FILE:
            frames.pop()
        stacks.append({
            "pid": os.getpid(), "tid": native, "name": name,
            "frames": [{"file": _display_path(f.filename), "line": f.lineno, "function": f.name} for f in frames],
        })
    return stacks


# ---------------------------------------------------------------------------------------
# The measured call (shared by serial, thread and process runs).

def _describe_exception(error):
    return {
        "type": type(error).__name__,
        "message": str(error)[:2000],
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__))[-8000:],
    }


def _measured_call(function, args, kwargs, index):
    probe = _probe()
    probe.lock_spans = []
    probe.lock_stats = {}
    probe.new_edges = []
    core_start = _read_core(probe)
    runq_start = _read_runq(probe)
    cpu_start = _cpu_ns()
    start = _perf_ns()
    result = None
    error = None
    try:
        result = function(*args, **kwargs)
    except BaseException as exc:  # sys.exit() in a task is recorded, not obeyed.
        error = _describe_exception(exc)
    end = _perf_ns()
    cpu_end = _cpu_ns()
    record = _task_record(probe, index, start, end, cpu_end - cpu_start, _read_runq(probe) - runq_start,
                          core_start, error)
    return record, result


def _task_record(probe, index, start, end, cpu, runq, core_start, error):
    """One task's measurements, with the lock waits, holds and order edges on its probe."""
    record = {
        "index": index, "start": start, "end": end, "cpu": cpu, "runq": runq, "coreStart": core_start,
        "coreEnd": _read_core(probe), "pid": os.getpid(), "tid": probe.tid,
    }
    if error is not None:
        record["error"] = error
    if probe.lock_stats:
        record["locks"] = [
            {"file": site[0], "line": site[1], "acquisitions": s[0], "waitNs": s[1],
             "holdNs": s[2] * s[0] // s[6] if s[6] else 0, "contended": s[3], "maxWaitNs": s[4], "kind": s[5]}
            for site, s in probe.lock_stats.items()
        ]
        record["lockSpans"] = [
            [site[0], site[1], t_request, t_acquired, t_released]
            for site, t_request, t_acquired, t_released in probe.lock_spans
        ]
    if probe.new_edges:
        record["lockEdges"] = probe.new_edges
    return record


def _split_task(task):
    if isinstance(task, tuple):
        return task, {}
    if isinstance(task, dict):
        return (), task
    return (task,), {}


def _thread_task(function, args, kwargs, index):
    return _measured_call(function, args, kwargs, index)[0]


NO_MAIN_GUARD = "conclens: the module starts processes while it is being imported"


def _guard_process_start():
    """Starting a process while the user module is being imported means top-level pool code
    without an `if __name__ == "__main__":` guard. Everything that imports such a module
    (the harness, and every spawn worker, again and again) starts processes it did not ask
    for, and pickling during the import deadlocks on the import lock: stop it with a message
    the harness recognises."""
    import multiprocessing.process as mp_process
    original_start = mp_process.BaseProcess.start
    if getattr(original_start, "conclens_guard", False):
        return
    module_name = os.environ.get("CONCLENS_USER_MODULE", "")

    def start(self):
        module = sys.modules.get(module_name)
        spec = getattr(module, "__spec__", None)
        if getattr(spec, "_initializing", False):
            raise RuntimeError(NO_MAIN_GUARD)
        return original_start(self)

    start.conclens_guard = True
    mp_process.BaseProcess.start = start


def _worker_init(user_root, dump_dir):
    global _dump_dir
    _dump_dir = dump_dir
    if threading.Lock is _real_lock:
        _install_lock_proxies(user_root)
    _guard_process_start()
    _install_dump_handler()


def _install_dump_handler():
    import faulthandler
    if not hasattr(signal, "SIGUSR1"):
        return  # Windows: no user signals; the runner's timeout still stops the run.

    def dump(signum, frame):
        path = os.path.join(_dump_dir, "%d.json" % os.getpid())
        with open(path, "w") as handle:
            json.dump({"stacks": _thread_stacks(), "locks": _lock_state()}, handle)

    signal.signal(signal.SIGUSR1, dump)
    native = open(os.path.join(_dump_dir, "%d.native.txt" % os.getpid()), "w")
    faulthandler.register(signal.SIGUSR2, file=native, all_threads=True)
    # A worker that segfaults leaves its Python traceback here for the crash report.
    faulthandler.enable(file=native, all_threads=True)


def _as_plain_call(function):
    """An `async def` is run on an event loop, not called (see conclens_async)."""
    code = getattr(function, "__code__", None)
    if code is not None and not code.co_flags & 0x80:  # not CO_COROUTINE: no asyncio import
        return function
    import conclens_async
    return conclens_async.blocking(function) if conclens_async.is_coroutine_function(function) else function


def _import_user_module(module_name):
    if module_name in sys.modules:
        return sys.modules[module_name]
    import importlib
    return importlib.import_module(module_name)


def _process_task(module_name, function_name, payload, index):
    """Runs in a pool worker: unpickle the arguments, call, pickle the result, timing both."""
    try:
        function = _as_plain_call(getattr(_import_user_module(module_name), function_name))
    except BaseException as exc:
        return {"index": index, "importError": _describe_exception(exc)}, None
    t0 = _perf_ns()
    args, kwargs = pickle.loads(payload)
    t1 = _perf_ns()
    record, result = _measured_call(function, args, kwargs, index)
    t2 = _perf_ns()
    try:
        result_bytes = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        record.setdefault("error", _describe_exception(exc))
        record["error"]["message"] = "result is not picklable: " + record["error"]["message"]
        result_bytes = b""
    t3 = _perf_ns()
    record["ipc"] = {"argsUnpickleNs": t1 - t0, "resultPickleNs": t3 - t2, "resultBytes": len(result_bytes)}
    return record, result_bytes


# ---------------------------------------------------------------------------------------
# The driver: one configuration after another, events out on the results descriptor.

class _Emitter:
    def __init__(self, fd):
        self.fd = fd
        self.lock = _real_lock()

    def emit(self, event):
        data = (json.dumps(event, separators=(",", ":")) + "\n").encode()
        with self.lock:
            view = memoryview(data)
            while view:
                view = view[os.write(self.fd, view):]


def _peak_rss_bytes(pid):
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss():
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _module_name_for(root, file_path):
    """How the user's program would import the file: as a dotted module from the root when
    it sits in packages (like `python -m pkg.mod`), else by name from its own directory
    (like `python path/to/script.py`)."""
    directory, filename = os.path.split(os.path.realpath(file_path))
    parts = [os.path.splitext(filename)[0]]
    while os.path.exists(os.path.join(directory, "__init__.py")) and directory != root:
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return ".".join(parts), directory


class _Watchdog:
    """Stops a configuration that outlives its timeout: dumps every thread's stack and the
    lock holders and waiters (of this process and of pool workers), then exits."""

    def __init__(self, emitter, timeout_s, describe):
        self.emitter = emitter
        self.timeout_s = timeout_s
        self.describe = describe
        self.done = threading.Event()
        self.worker_pids = []
        # What else the user should know about how the configuration was stopped.
        self.note = ""
        self.thread = threading.Thread(target=self._watch, name="conclens-watchdog", daemon=True)
        self.thread.start()

    def _watch(self):
        if self.done.wait(self.timeout_s):
            return
        stacks = [s for s in _thread_stacks() if s["name"] not in ("conclens-watchdog", "conclens-gil-probe")]
        locks = _lock_state()
        dump_signal = getattr(signal, "SIGUSR1", None)
        for pid in self.worker_pids if dump_signal else ():
            try:
                os.kill(pid, dump_signal)
            except OSError:
                pass
        if self.worker_pids and dump_signal:
            time.sleep(0.5)
        for pid in self.worker_pids:
            try:
                with open(os.path.join(_dump_dir, "%d.json" % pid)) as handle:
                    dumped = json.load(handle)
                stacks.extend(dumped["stacks"])
                locks.extend(dumped["locks"])
            except (OSError, ValueError):
                stacks.append({"pid": pid, "tid": None, "name": "worker (no Python dump: stuck in C code)",
                               "frames": []})
            try:
                os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
            except OSError:
                pass
        self.emitter.emit({
            "type": "fault", "fault": "timeout", "configuration": self.describe,
            "message": "%s did not finish within %gs (deadlock or endless loop); stopped.%s" % (
                self.describe["label"], self.timeout_s, self.note),
            "stacks": stacks, "lockState": locks,
        })
        os._exit(4)

    def stop(self):
        self.done.set()


class _GilProbe:
    """The cross-check of GIL wait that needs no /proc: a thread that sleeps 1 ms in a loop.
    Waking needs the GIL, so the overshoot of each sleep is about how long the GIL was held by
    others (two CPU-bound threads: ~5-15 ms; threads that release it: ~0.1 ms)."""

    PERIOD_NS = 1_000_000
    MAX_SAMPLES = 100_000

    def __init__(self):
        self.overshoots = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._probe, name="conclens-gil-probe", daemon=True)
        self.thread.start()

    def _probe(self):
        period_s = self.PERIOD_NS / 1e9
        overshoots = self.overshoots
        while not self.done.is_set() and len(overshoots) < self.MAX_SAMPLES:
            started = _perf_ns()
            time.sleep(period_s)
            overshoots.append(max(0, _perf_ns() - started - self.PERIOD_NS))

    def stop(self):
        self.done.set()
        self.thread.join()
        ordered = sorted(self.overshoots)
        if not ordered:
            return None
        return {"samples": len(ordered), "medianOvershootNs": ordered[len(ordered) // 2],
                "p90OvershootNs": ordered[min(len(ordered) - 1, (len(ordered) * 9) // 10)]}


def _run_serial(function, tasks):
    records = []
    for index, (args, kwargs) in enumerate(tasks):
        records.append(_measured_call(function, args, kwargs, index)[0])
    return records, {}


def _run_threads(function, tasks, workers):
    from concurrent.futures import ThreadPoolExecutor
    probe = _GilProbe()
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conclens-worker") as pool:
            futures = [pool.submit(_thread_task, function, args, kwargs, index)
                       for index, (args, kwargs) in enumerate(tasks)]
            records = [future.result() for future in futures]
    finally:
        gil_probe = probe.stop()
    return records, {"gilProbe": gil_probe}


def _run_processes(module_name, function_name, tasks, workers, context, config, watchdog):
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    t0 = _perf_ns()
    payloads = [pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL) for task in tasks]
    args_pickle_ns = _perf_ns() - t0
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init,
                               initargs=(config["root"], _dump_dir))
    workers_started = {}
    try:
        try:
            futures = []
            for index, payload in enumerate(payloads):
                futures.append(pool.submit(_process_task, module_name, function_name, payload, index))
                # Workers start during submit; the executor forgets them once it breaks.
                workers_started.update(pool._processes)
            watchdog.worker_pids = list(workers_started)
            records = []
            result_unpickle_ns = 0
            for future in futures:
                record, result_bytes = future.result()
                if "importError" in record:
                    raise _WorkerImportFailure(record["importError"])
                t1 = _perf_ns()
                if result_bytes:
                    pickle.loads(result_bytes)
                result_unpickle_ns += _perf_ns() - t1
                records.append(record)
        except BrokenProcessPool as exc:
            # A worker can die while tasks are still being submitted, or while we wait.
            codes = _exit_codes(workers_started)
            raise _WorkerCrash(exc, codes, list(workers_started)) from None
        memory = {pid: _peak_rss_bytes(pid) for pid in workers_started}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return records, {"ipc": _ipc_totals(args_pickle_ns, payloads, records, result_unpickle_ns), "memory": memory}


def _ipc_totals(args_pickle_ns, payloads, records, result_unpickle_ns):
    """A run's pickling cost: the arguments pickled here, what each worker unpickled and
    pickled (in its task record), the results unpickled here."""
    return {
        "argsPickleNs": args_pickle_ns, "argsBytes": sum(len(p) for p in payloads),
        "argsUnpickleNs": sum(r["ipc"]["argsUnpickleNs"] for r in records),
        "resultPickleNs": sum(r["ipc"]["resultPickleNs"] for r in records),
        "resultBytes": sum(r["ipc"]["resultBytes"] for r in records),
        "resultUnpickleNs": result_unpickle_ns,
    }


def _exit_codes(processes, timeout_s=2.0):
    # The executor's manager thread reaps dead workers too; while its waitpid has the status
    # and it has not yet stored it, ours gets ECHILD and exitcode reads None. Poll until it lands.
    deadline = time.monotonic() + timeout_s
    for process in processes.values():
        process.join(max(0.0, deadline - time.monotonic()))
        while process.exitcode is None and time.monotonic() < deadline:
            time.sleep(0.01)
    return {pid: process.exitcode for pid, process in processes.items()}


class _WorkerCrash(Exception):
    def __init__(self, error, exit_codes, pids):
        super().__init__(str(error))
        self.exit_codes = exit_codes
        self.pids = pids


class _WorkerImportFailure(Exception):
    def __init__(self, error):
        super().__init__(error["message"])
        self.error = error


class _KindFault(Exception):
    """A fault a kind's own module (conclens_dask) reports: the fault event, and whether the
    profile stops or only that kind is skipped (then the event names it as skippedKind)."""

    def __init__(self, event, fatal):
        super().__init__(event["message"])
        self.event = event
        self.fatal = fatal


def _dask_session(config, timeout_s, root, import_dir, emitter, skipped_kinds):
    """The dask kind's cluster, or None (the reason emitted) when this interpreter has no Dask."""
    import conclens_dask
    reason = conclens_dask.missing_reason()
    if reason:
        emitter.emit({"type": "fault", "fault": "cluster", "skippedKind": "dask", "message": reason})
        skipped_kinds.add("dask")
        return None
    return conclens_dask.DaskSession(config.get("daskScheduler"), timeout_s, root, import_dir, _dump_dir)


def _rounds(plan, repeat):
    """The order of the runs: repetition after repetition of the plan, then the Dask runs
    grouped by cluster size (its workers start once and are only ever added, and its idle
    processes do not disturb the other kinds' runs)."""
    for repetition in range(repeat):
        yield repetition, [entry for entry in plan if entry[0] != "dask"]
    for entry in plan:
        if entry[0] == "dask":
            for repetition in range(repeat):
                yield repetition, [entry]


def _read_native_dump(pid):
    try:
        with open(os.path.join(_dump_dir, "%d.native.txt" % pid)) as handle:
            return handle.read()[-8000:]
    except OSError:
        return ""


def _describe_exit(code, native_dump):
    if "Fatal Python error: " in native_dump:
        # faulthandler names the signal even when the exit status was reaped elsewhere.
        return native_dump.split("Fatal Python error: ", 1)[1].split("\n", 1)[0].strip()
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    return "exit code %d" % code


def _import_fault(exc, module_name, function_name, start_method):
    if NO_MAIN_GUARD in str(exc):
        return {"type": "fault", "fault": "no-main-guard",
                "message": "%s starts worker processes when it is imported (no `if __name__ == "
                           "\"__main__\":` guard). The profiler imports the module, and under the %s start method every "
                           "worker re-imports it and would start processes again. Move that code under "
                           "the guard." % (module_name, start_method)}
    return {"type": "fault", "fault": "import", "error": _describe_exception(exc) if isinstance(exc, BaseException) else None,
            "message": "could not import %s.%s: %s: %s" % (module_name, function_name, type(exc).__name__, exc)}


def _default_workers():
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    counts, n = [], 1
    while n < usable:
        counts.append(n)
        n *= 2
    counts.append(usable)
    return counts


def _gil_status():
    import sysconfig
    free_threaded_build = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return free_threaded_build, (is_enabled() if is_enabled else True)


def main():
    global _dump_dir
    config = json.loads(sys.stdin.read())
    emitter = _Emitter(int(config.get("resultsFd", 3)))
    _dump_dir = config["dumpDir"]
    root = os.path.realpath(config["root"])
    if config.get("memoryLimitBytes"):
        import resource
        limit = int(config["memoryLimitBytes"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import faulthandler
    faulthandler.enable(file=sys.stderr, all_threads=True)
    if hasattr(signal, "SIGUSR2"):
        native = open(os.path.join(_dump_dir, "harness.native.txt"), "w")
        faulthandler.register(signal.SIGUSR2, file=native, all_threads=True)

    free_threaded, gil_enabled = _gil_status()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    import multiprocessing
    start_method = config.get("startMethod") or multiprocessing.get_start_method()
    emitter.emit({
        "type": "hello", "pid": os.getpid(), "python": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3], "implementation": sys.implementation.name,
        "freeThreadedBuild": free_threaded, "gilEnabled": gil_enabled, "usableCpus": usable,
        "procAvailable": os.path.exists("/proc/thread-self/stat"), "startMethod": start_method,
    })

    module_name, import_dir = _module_name_for(root, config["file"])
    harness_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [import_dir] + [p for p in sys.path[1:] if p != harness_dir] + [harness_dir]
    os.chdir(root)
    os.environ["CONCLENS_USER_MODULE"] = module_name
    _install_lock_proxies(root)
    _guard_process_start()
    try:
        module = _import_user_module(module_name)
        function = getattr(module, config["function"])
    except BaseException as exc:
        emitter.emit(_import_fault(exc, module_name, config["function"], start_method))
        return 2
    try:
        namespace = dict(vars(module))
        tasks = [_split_task(task) for task in eval(config["tasks"], namespace)]
    except BaseException as exc:
        emitter.emit({"type": "fault", "fault": "tasks", "message": "the tasks expression %r failed: %s: %s" % (
            config["tasks"], type(exc).__name__, exc), "error": _describe_exception(exc)})
        return 2
    call = _as_plain_call(function)
    coroutine = call is not function
    kinds = config.get("kinds") or ["serial", "thread", "process"] + (["async"] if coroutine else [])
    emitter.emit({"type": "tasks", "count": len(tasks), "module": module_name, "coroutine": coroutine, "kinds": kinds})

    workers_list = config.get("workers") or _default_workers()
    repeat = int(config.get("repeat", 3))
    timeout_s = float(config.get("timeoutSec", 60))
    context = multiprocessing.get_context(start_method)
    skipped_kinds = set()

    if "process" in kinds:
        try:
            pickle.dumps(function)
        except Exception as exc:
            emitter.emit({"type": "fault", "fault": "unpicklable", "skippedKind": "process",
                          "message": "ProcessPoolExecutor cannot send %s to its workers (%s: %s); "
                                     "define it with `def` at the top level of its module." % (
                                         config["function"], type(exc).__name__, exc)})
            skipped_kinds.add("process")

    plan = [("serial", 1)] if "serial" in kinds else []
    if "async" in kinds and not coroutine:
        emitter.emit({"type": "fault", "fault": "tasks", "skippedKind": "async",
                      "message": "the async kind runs coroutine functions on an event loop; %s is not an "
                                 "`async def`, so it has nothing to await and was not run as async." % config["function"]})
        skipped_kinds.add("async")
    for kind in ("thread", "process", "async"):
        if kind in kinds:
            plan.extend((kind, w) for w in workers_list)
    dask_session = None
    if "dask" in kinds:
        try:
            dask_session = _dask_session(config, timeout_s, root, import_dir, emitter, skipped_kinds)
        except _KindFault as exc:
            emitter.emit({"type": "fault", **exc.event})
            return 3
    if dask_session is not None:
        plan.extend(("dask", w) for w in dask_session.sizes(workers_list))

    planned_spans = len(tasks) * len(plan) * repeat
    if planned_spans > _MAX_TASK_SPANS:
        fitting = max(1, _MAX_TASK_SPANS // max(1, len(plan) * repeat))
        emitter.emit({"type": "fault", "fault": "tasks", "message": (
            "%d tasks in %d runs (%d configurations x %d repetitions) would record %d task spans; the "
            "profiler keeps every task and stops at %d, beyond which the trace no longer fits in memory. "
            "Profile a representative slice (list(%s)[:%d]), fewer worker counts or repetitions, or give "
            "each task a batch of the work." % (
                len(tasks), len(plan) * repeat, len(plan), repeat, planned_spans, _MAX_TASK_SPANS,
                config["tasks"], fitting))})
        return 2

    for repetition, entries in _rounds(plan, repeat):
        for kind, workers in entries:
            if kind in skipped_kinds:
                continue
            label = "serial" if kind == "serial" else "%s x%d" % (kind, workers)
            describe = {"kind": kind, "workers": workers, "repetition": repetition, "label": label}
            emitter.emit({"type": "config-start", **describe, "timeoutSec": timeout_s})
            watchdog = _Watchdog(emitter, timeout_s, describe)
            if kind != "process":
                _reset_peak_rss()
            start = _perf_ns()
            try:
                if kind == "serial" and not coroutine:
                    records, extra = _run_serial(call, tasks)
                elif kind in ("serial", "async"):
                    # A coroutine's serial baseline: awaited one by one on one loop (one in flight).
                    import conclens_async
                    records, extra = conclens_async.run_in_flight(function, tasks, workers)
                elif kind == "thread":
                    records, extra = _run_threads(call, tasks, workers)
                elif kind == "dask":
                    records, extra = dask_session.run(module_name, config["function"], tasks, workers, watchdog)
                else:
                    records, extra = _run_processes(module_name, config["function"], tasks, workers,
                                                    context, config, watchdog)
            except pickle.PicklingError as exc:
                watchdog.stop()
                emitter.emit({"type": "fault", "fault": "unpicklable", "skippedKind": "process",
                              "configuration": describe,
                              "message": "a task's arguments cannot be pickled for ProcessPoolExecutor: %s" % exc})
                skipped_kinds.add("process")
                continue
            except (TypeError, AttributeError) as exc:
                if kind != "process" or "pickle" not in str(exc):
                    raise
                watchdog.stop()
                emitter.emit({"type": "fault", "fault": "unpicklable", "skippedKind": "process",
                              "configuration": describe,
                              "message": "a task's arguments cannot be pickled for ProcessPoolExecutor: %s" % exc})
                skipped_kinds.add("process")
                continue
            except _WorkerCrash as exc:
                watchdog.stop()
                natives = {pid: _read_native_dump(pid) for pid in exc.exit_codes}
                exits = ", ".join("pid %d: %s" % (pid, _describe_exit(code, natives[pid]))
                                  for pid, code in sorted(exc.exit_codes.items()))
                emitter.emit({"type": "fault", "fault": "crash", "configuration": describe,
                              "error": {"type": "BrokenProcessPool", "message": exits,
                                        "traceback": "\n".join(n for n in natives.values() if n)},
                              "message": "a worker process of %s died abruptly (%s): BrokenProcessPool. "
                                         "The function crashed the interpreter (os._exit, a segfault "
                                         "in C code, or the out-of-memory killer)." % (label, exits or "unknown")})
                return 3
            except _WorkerImportFailure as exc:
                watchdog.stop()
                emitter.emit({**_import_fault(exc, module_name, config["function"], start_method),
                              "configuration": describe, "error": exc.error})
                return 3
            except _KindFault as exc:
                watchdog.stop()
                emitter.emit({"type": "fault", **exc.event, "configuration": describe})
                if exc.fatal:
                    return 3
                skipped_kinds.add(kind)
                continue
            end = _perf_ns()
            # A kind with set-up outside the run (starting a cluster's workers) times its own span.
            start, end = extra.get("span", (start, end))
            watchdog.stop()
            if coroutine:
                import conclens_async
                conclens_async.close_loops()
            memory = extra.get("memory") or {os.getpid(): _peak_rss_bytes(os.getpid())}
            emitter.emit({
                "type": "run", **describe, "start": start, "end": end, "wallNs": end - start,
                "tasks": records, "ipc": extra.get("ipc"), "gilProbe": extra.get("gilProbe"),
                "eventLoop": extra.get("eventLoop"), "dask": extra.get("dask"),
                "memory": [{"pid": pid, "peakRssBytes": rss} for pid, rss in memory.items()],
            })
    emitter.emit({"type": "done"})
    return 0


if __name__ == "__mp_main__":
    # A spawned child of the harness (a pool worker, or a process the user's code started).
    _guard_process_start()
elif __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import conclens_harness
    sys.exit(conclens_harness.main())
