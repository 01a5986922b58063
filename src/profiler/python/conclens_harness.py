"""Concurrency Lens pool harness: runs one user function serially, under ThreadPoolExecutor
and under ProcessPoolExecutor (a coroutine function also on an event loop, see conclens_async;
any function also on a Dask cluster, see conclens_dask), and measures every task.

Standard library only. The Node runner starts `python conclens_harness.py` with the
configuration as JSON on stdin; that process becomes the keeper (conclens_keeper), which forks
the harness proper and outlives it. Results go out as JSON lines on the file descriptor named
in the configuration (never stdout: the user's own output is captured separately).

The script imports itself as the module `conclens_harness` so that the task wrappers are
module-level functions of an importable module and pickle under both fork and spawn.
"""

# Everything the harness and the pools need is imported here, before the user's directory is
# on sys.path: a user module named like one of these cannot replace it (see conclens_target).
import faulthandler
import json
import multiprocessing
import multiprocessing.process
import os
import pickle
import signal
import sys
import sysconfig
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import wait as wait_for_objects

try:  # POSIX only
    import multiprocessing.forkserver
    import multiprocessing.popen_fork
    import multiprocessing.popen_forkserver
    import multiprocessing.popen_spawn_posix
    import multiprocessing.resource_tracker
    import multiprocessing.synchronize
except ImportError:
    pass

import conclens_faults
import conclens_keeper
import conclens_locks
import conclens_target
from conclens_locks import read_core as _read_core, read_runq as _read_runq, thread_probe as _probe

_perf_ns = time.perf_counter_ns
_cpu_ns = time.thread_time_ns
_real_lock = threading.Lock
# Task spans over all runs: about 400 bytes each in the trace, so about 120 MB at the cap.
_MAX_TASK_SPANS = 300_000
_dump_dir = None
# How long pool workers get to exit after their last task before they are killed.
_WORKER_EXIT_GRACE_S = 2.0
# How long closing the Dask cluster may take (an existing one's workers are put back as they
# were) before the harness exits without it.
_DASK_CLOSE_S = 10.0


# ---------------------------------------------------------------------------------------
# The measured call (shared by serial, thread and process runs).

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
        error = conclens_faults.describe_exception(exc)
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


def _thread_task(function, args, kwargs, index):
    return _measured_call(function, args, kwargs, index)[0]


def _guard_process_start():
    """Starting a process while the user module is being imported means top-level pool code
    without an `if __name__ == "__main__":` guard. Everything that imports such a module
    (the harness, and every spawn worker, again and again) starts processes it did not ask
    for, and pickling during the import deadlocks on the import lock: stop it with a message
    the harness recognises."""
    original_start = multiprocessing.process.BaseProcess.start
    if getattr(original_start, "conclens_guard", False):
        return
    module_name = os.environ.get("CONCLENS_USER_MODULE", "")

    def start(self):
        module = sys.modules.get(module_name)
        spec = getattr(module, "__spec__", None)
        if getattr(spec, "_initializing", False):
            raise RuntimeError(conclens_faults.NO_MAIN_GUARD)
        return original_start(self)

    start.conclens_guard = True
    multiprocessing.process.BaseProcess.start = start


def _worker_init(user_root, dump_dir):
    global _dump_dir
    _dump_dir = dump_dir
    # A worker busy in an endless task would otherwise outlive a harness that was killed.
    conclens_keeper.die_with_parent(signal.SIGKILL, None)
    if threading.Lock is _real_lock:
        conclens_locks.install(user_root)
    conclens_target.isolate_spawned_interpreters()
    _guard_process_start()
    _install_dump_handler()


def _install_dump_handler():
    if not hasattr(signal, "SIGUSR1"):
        return  # Windows: no user signals; the runner's timeout still stops the run.

    def dump(signum, frame):
        path = os.path.join(_dump_dir, "%d.json" % os.getpid())
        with open(path, "w") as handle:
            json.dump({"stacks": conclens_locks.thread_stacks(), "locks": conclens_locks.lock_state()}, handle)

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
    conclens_async = conclens_target.import_unshadowed("conclens_async")
    return conclens_async.blocking(function) if conclens_async.is_coroutine_function(function) else function


def _process_task(target, function_name, payload, index):
    """Runs in a pool worker (or a Dask worker): unpickle the arguments, call, pickle the
    result, timing both."""
    try:
        function = _as_plain_call(getattr(conclens_target.import_target(target), function_name))
    except BaseException as exc:
        return {"index": index, "importError": conclens_faults.describe_exception(exc)}, None
    t0 = _perf_ns()
    args, kwargs = pickle.loads(payload)
    t1 = _perf_ns()
    record, result = _measured_call(function, args, kwargs, index)
    t2 = _perf_ns()
    try:
        result_bytes = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        record.setdefault("error", conclens_faults.describe_exception(exc))
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
        # Undoes what a kind changed outside this process before the harness exits (a Dask
        # cluster's workers outlive it).
        self.before_exit = None
        self.thread = threading.Thread(target=self._watch, name="conclens-watchdog", daemon=True)
        self.thread.start()

    def _watch(self):
        if self.done.wait(self.timeout_s):
            return
        stacks = [s for s in conclens_locks.thread_stacks() if s["name"] not in ("conclens-watchdog", "conclens-gil-probe")]
        locks = conclens_locks.lock_state()
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
        if self.before_exit is not None:
            self.before_exit()
        os._exit(4)

    def stop(self):
        self.done.set()


class _GilProbe:
    """The cross-check of GIL wait that needs no /proc: a thread that sleeps 1 ms in a loop.
    Waking needs the GIL, so the overshoot of each sleep is about how long the GIL was held by
    others (two CPU-bound threads: ~5-15 ms; threads that release it: ~0.1 ms). On a busy
    machine the probe also waits for a CPU to wake on; that runqueue wait (read from its own
    schedstat where /proc has it) is taken out, or load would pass for GIL contention. With every
    core loaded, holders mostly hand over as soon as they get a CPU, so the median shrinks while
    the tail (90th percentile) still shows the switch interval: the verdict reads the sampled GIL
    wait first and the probe only as a cross-check."""

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
        probe = _probe()
        while not self.done.is_set() and len(overshoots) < self.MAX_SAMPLES:
            runq = _read_runq(probe)
            started = _perf_ns()
            time.sleep(period_s)
            overshoot = _perf_ns() - started - self.PERIOD_NS
            overshoots.append(max(0, overshoot - (_read_runq(probe) - runq)))

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
    probe = _GilProbe()
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="conclens-worker") as pool:
            futures = [pool.submit(_thread_task, function, args, kwargs, index)
                       for index, (args, kwargs) in enumerate(tasks)]
            records = [future.result() for future in futures]
    finally:
        gil_probe = probe.stop()
    return records, {"gilProbe": gil_probe}


def _run_processes(target, function_name, tasks, workers, context, config, watchdog):
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
                futures.append(pool.submit(_process_task, target, function_name, payload, index))
                # Workers start during submit; the executor forgets them once it breaks.
                workers_started.update(pool._processes)
            watchdog.worker_pids = list(workers_started)
            records = []
            result_unpickle_ns = 0
            for future in futures:
                record, result_bytes = future.result()
                if "importError" in record:
                    raise conclens_faults.WorkerImportFailure(record["importError"])
                t1 = _perf_ns()
                if result_bytes:
                    pickle.loads(result_bytes)
                result_unpickle_ns += _perf_ns() - t1
                records.append(record)
        except BrokenProcessPool as exc:
            # A worker can die while tasks are still being submitted, or while we wait.
            codes = _exit_codes(workers_started)
            raise conclens_faults.WorkerCrash(exc, codes, list(workers_started)) from None
        memory = {pid: _peak_rss_bytes(pid) for pid in workers_started}
    finally:
        end, lingering = _end_pool(pool, workers_started)
    ipc = _ipc_totals(args_pickle_ns, payloads, records, result_unpickle_ns)
    return records, {"ipc": ipc, "memory": memory, "end": end, "lingeringWorkers": lingering}


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


def _end_pool(pool, processes):
    """Shuts a process pool down without waiting forever: a worker exits only once the
    threads its tasks started have ended (multiprocessing joins them), so one left running
    by the function would hold the run open. Returns when the run ended (the last worker
    exit, or the start of the wait if some had to be killed) and the pids killed."""
    manager = getattr(pool, "_executor_manager_thread", None)
    waiting_since = _perf_ns()
    pool.shutdown(wait=False, cancel_futures=True)
    pending = {process.sentinel: pid for pid, process in processes.items()}
    deadline = time.monotonic() + _WORKER_EXIT_GRACE_S
    while pending and time.monotonic() < deadline:
        for sentinel in wait_for_objects(list(pending), max(0.0, deadline - time.monotonic())):
            pending.pop(sentinel)
    end = waiting_since if pending else _perf_ns()
    for pid in pending.values():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    if manager is not None:
        manager.join(_WORKER_EXIT_GRACE_S)
    return end, sorted(pending.values())


def _exit_codes(processes, timeout_s=2.0):
    # The executor's manager thread reaps dead workers too; while its waitpid has the status
    # and it has not yet stored it, ours gets ECHILD and exitcode reads None. Poll until it lands.
    deadline = time.monotonic() + timeout_s
    for process in processes.values():
        process.join(max(0.0, deadline - time.monotonic()))
        while process.exitcode is None and time.monotonic() < deadline:
            time.sleep(0.01)
    return {pid: process.exitcode for pid, process in processes.items()}


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
    free_threaded_build = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return free_threaded_build, (is_enabled() if is_enabled else True)


def _worker_counts(config):
    return config.get("workers") or _default_workers()


def _plan(config, kinds, skipped_kinds):
    """The configurations run on this machine; the Dask ones join once the cluster answers."""
    plan = [("serial", 1)] if "serial" in kinds else []
    for kind in ("thread", "process", "async"):
        if kind in kinds and kind not in skipped_kinds:
            plan.extend((kind, w) for w in _worker_counts(config))
    return plan


def _dask_configurations(config, kinds):
    """How many Dask configurations there will be: an existing cluster is measured once, as it is."""
    if "dask" not in kinds:
        return 0
    return 1 if config.get("daskScheduler") else len(set(_worker_counts(config)))


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


def _read_tasks(config, module, configurations, repeat, emitter):
    """The tasks, or None after a fault saying why there are none to run (or too many)."""
    expression = config["tasks"]
    runs = configurations * repeat
    limit = max(1, _MAX_TASK_SPANS // max(1, runs))
    try:
        tasks, length = conclens_target.read_tasks(expression, dict(vars(module)), limit)
    except BaseException as exc:
        emitter.emit({"type": "fault", "fault": "tasks", "error": conclens_faults.describe_exception(exc),
                      "message": "the tasks expression %r failed: %s: %s%s" % (
                          expression, type(exc).__name__, exc, conclens_faults.under_limit(exc, config))})
        return None
    if tasks is not None and not tasks:
        emitter.emit({"type": "fault", "fault": "tasks", "message": (
            "the tasks expression %r gave no tasks: there is nothing to time." % expression)})
        return None
    if tasks is None or len(tasks) > limit:
        counted = "%d tasks" % length if length is not None else "more than %d tasks" % limit
        spans = " would record %d task spans" % (length * runs) if length is not None else ""
        emitter.emit({"type": "fault", "fault": "tasks", "message": (
            "%s in %d runs (%d configurations x %d repetitions)%s; the profiler keeps every task and "
            "stops at %d, beyond which the trace no longer fits in memory. Profile a representative "
            "slice (list(%s)[:%d]), fewer worker counts or repetitions, or give each task a batch of "
            "the work." % (counted, runs, configurations, repeat, spans, _MAX_TASK_SPANS, expression, limit))})
        return None
    return tasks


def main(config):
    global _dump_dir
    emitter = _Emitter(int(config.get("resultsFd", 3)))
    _dump_dir = config["dumpDir"]
    root = os.path.realpath(config["root"])
    limit_problem = conclens_faults.limit_memory(config.get("memoryLimitBytes"))
    faulthandler.enable(file=sys.stderr, all_threads=True)
    if hasattr(signal, "SIGUSR2"):
        native = open(os.path.join(_dump_dir, "harness.native.txt"), "w")
        faulthandler.register(signal.SIGUSR2, file=native, all_threads=True)

    free_threaded, gil_enabled = _gil_status()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    start_method = config.get("startMethod") or multiprocessing.get_start_method()
    emitter.emit({
        "type": "hello", "pid": os.getpid(), "python": sys.executable,
        "version": "%d.%d.%d" % sys.version_info[:3], "implementation": sys.implementation.name,
        "freeThreadedBuild": free_threaded, "gilEnabled": gil_enabled, "usableCpus": usable,
        "procAvailable": os.path.exists("/proc/thread-self/stat"), "startMethod": start_method,
    })
    if limit_problem:
        emitter.emit({"type": "fault", "fault": "memory", "message": limit_problem})
        return 2

    target = conclens_target.locate(root, config["file"])
    module_name, function_name = target[0], config["function"]
    conclens_target.put_on_path(target[1])
    os.chdir(config.get("cwd") or root)
    os.environ["CONCLENS_USER_MODULE"] = target[2]
    conclens_locks.install(root)
    conclens_target.isolate_spawned_interpreters()
    _guard_process_start()
    try:
        module = conclens_target.import_target(target)
        function = getattr(module, function_name)
    except BaseException as exc:
        fault = conclens_faults.import_fault(exc, module_name, function_name, start_method)
        fault["message"] += conclens_faults.under_limit(exc, config)
        emitter.emit(fault)
        return 2
    if not callable(function):
        emitter.emit({"type": "fault", "fault": "import", "message": "%s.%s is not a function: it is %s %s." % (
            module_name, function_name, "an" if type(function).__name__[0] in "aeiou" else "a", type(function).__name__)})
        return 2

    call = _as_plain_call(function)
    coroutine = call is not function
    kinds = config.get("kinds") or ["serial", "thread", "process"] + (["async"] if coroutine else [])
    repeat = int(config.get("repeat", 3))
    skipped_kinds = set()
    if "process" in kinds:
        try:
            pickle.dumps(function)
        except Exception as exc:
            emitter.emit({"type": "fault", "fault": "unpicklable", "skippedKind": "process",
                          "message": "ProcessPoolExecutor cannot send %s to its workers (%s: %s); "
                                     "define it with `def` at the top level of its module." % (
                                         function_name, type(exc).__name__, exc)})
            skipped_kinds.add("process")
    if "async" in kinds and not coroutine:
        emitter.emit({"type": "fault", "fault": "tasks", "skippedKind": "async",
                      "message": "the async kind runs coroutine functions on an event loop; %s is not an "
                                 "`async def`, so it has nothing to await and was not run as async." % function_name})
        skipped_kinds.add("async")
    plan = _plan(config, kinds, skipped_kinds)
    tasks = _read_tasks(config, module, len(plan) + _dask_configurations(config, kinds), repeat, emitter)
    if tasks is None:
        return 2
    emitter.emit({"type": "tasks", "count": len(tasks), "module": module_name, "coroutine": coroutine, "kinds": kinds})
    work = _Work(target, function, call, coroutine, tasks)
    try:
        if "dask" in kinds:
            try:
                work.dask = _dask_session(config, root, target, emitter)
                if work.dask is not None:
                    plan.extend(("dask", w) for w in work.dask.sizes(_worker_counts(config)))
            except conclens_faults.KindFault as exc:
                emitter.emit({"type": "fault", **exc.event})
                return 2
        code = _run_plan(config, plan, repeat, work, emitter, multiprocessing.get_context(start_method), start_method)
    finally:
        if work.dask is not None:
            work.dask.close(_DASK_CLOSE_S)
    if code == 0:
        # The threads a local cluster and its client leave behind (IO loop, Profile) are Dask's.
        _report_lingering_threads(emitter, ("distributed", "tornado") if work.dask is not None else ())
        _stop_multiprocessing_helpers()
        emitter.emit({"type": "done"})
    return code


class _Work:
    """What every configuration runs: the function (`call`: how the harness's threads call it),
    where pool workers import it from, the tasks, and the Dask cluster if there is one."""

    __slots__ = ("target", "function", "call", "coroutine", "tasks", "dask")

    def __init__(self, target, function, call, coroutine, tasks):
        self.target = target
        self.function = function
        self.call = call
        self.coroutine = coroutine
        self.tasks = tasks
        self.dask = None


def _dask_session(config, root, target, emitter):
    """The dask kind's cluster, or None (the reason emitted) when this interpreter has no Dask."""
    conclens_dask = conclens_target.import_unshadowed("conclens_dask")
    reason = conclens_dask.missing_reason()
    if reason:
        emitter.emit({"type": "fault", "fault": "cluster", "skippedKind": "dask", "message": reason})
        return None
    return conclens_dask.DaskSession(config.get("daskScheduler"), float(config.get("timeoutSec", 60)), root,
                                     target[1], _dump_dir)


def _run_kind(kind, workers, work, config, context, watchdog):
    if kind == "serial" and not work.coroutine:
        return _run_serial(work.call, work.tasks)
    if kind in ("serial", "async"):
        # A coroutine's serial baseline: awaited one by one on one loop (one in flight).
        return conclens_target.import_unshadowed("conclens_async").run_in_flight(work.function, work.tasks, workers)
    if kind == "thread":
        return _run_threads(work.call, work.tasks, workers)
    if kind == "dask":
        return work.dask.run(work.target, config["function"], work.tasks, workers, watchdog)
    return _run_processes(work.target, config["function"], work.tasks, workers, context, config, watchdog)


def _run_plan(config, plan, repeat, work, emitter, context, start_method):
    """Every configuration, every repetition; 0, or 3 when one could not complete."""
    timeout_s = float(config.get("timeoutSec", 60))
    skipped_kinds = set()
    for repetition, entries in _rounds(plan, repeat):
        for kind, workers in entries:
            if kind in skipped_kinds:
                continue
            label = "serial" if kind == "serial" else "%s x%d" % (kind, workers)
            describe = {"kind": kind, "workers": workers, "repetition": repetition, "label": label}
            emitter.emit({"type": "config-start", **describe, "timeoutSec": timeout_s})
            try:
                watchdog = _Watchdog(emitter, timeout_s, describe)
            except conclens_faults.RESOURCE_ERRORS as exc:
                if not conclens_faults.is_refused_resource(exc):
                    raise
                emitter.emit(conclens_faults.resources_refused(exc, describe, config))
                return 3
            if kind not in ("process", "dask"):
                _reset_peak_rss()
            start = _perf_ns()
            try:
                records, extra = _run_kind(kind, workers, work, config, context, watchdog)
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
            except conclens_faults.WorkerCrash as exc:
                watchdog.stop()
                natives = {pid: conclens_faults.read_native_dump(_dump_dir, pid) for pid in exc.exit_codes}
                exits = ", ".join("pid %d: %s" % (pid, conclens_faults.describe_exit(code, natives[pid]))
                                  for pid, code in sorted(exc.exit_codes.items()))
                emitter.emit({"type": "fault", "fault": "crash", "configuration": describe,
                              "error": {"type": "BrokenProcessPool", "message": exits,
                                        "traceback": "\n".join(n for n in natives.values() if n)},
                              "message": "a worker process of %s died abruptly (%s): BrokenProcessPool. "
                                         "The function crashed the interpreter (os._exit, a segfault "
                                         "in C code, or the out-of-memory killer)." % (label, exits or "unknown")})
                return 3
            except conclens_faults.WorkerImportFailure as exc:
                watchdog.stop()
                emitter.emit({**conclens_faults.import_fault(exc, work.target[0], config["function"], start_method),
                              "configuration": describe, "error": exc.error})
                return 3
            except conclens_faults.KindFault as exc:
                watchdog.stop()
                emitter.emit({"type": "fault", **exc.event, "configuration": describe})
                if exc.fatal:
                    return 3
                skipped_kinds.add(kind)
                continue
            except conclens_faults.RESOURCE_ERRORS as exc:
                if not conclens_faults.is_refused_resource(exc):
                    raise
                watchdog.stop()
                emitter.emit(conclens_faults.resources_refused(exc, describe, config))
                return 3
            end = extra.get("end") or _perf_ns()
            # A kind with set-up outside the run (starting a cluster's workers) times its own span.
            start, end = extra.get("span", (start, end))
            watchdog.stop()
            if work.coroutine:
                conclens_target.import_unshadowed("conclens_async").close_loops()
            if extra.get("lingeringWorkers"):
                emitter.emit({"type": "notice", "message": (
                    "%d worker process(es) of %s did not exit within %gs of their last task (a thread the "
                    "function started was still running) and were killed." % (
                        len(extra["lingeringWorkers"]), label, _WORKER_EXIT_GRACE_S))})
            memory = extra.get("memory") or {os.getpid(): _peak_rss_bytes(os.getpid())}
            emitter.emit({
                "type": "run", **describe, "start": start, "end": end, "wallNs": end - start,
                "tasks": records, "ipc": extra.get("ipc"), "gilProbe": extra.get("gilProbe"),
                "eventLoop": extra.get("eventLoop"), "dask": extra.get("dask"),
                "memory": [{"pid": pid, "peakRssBytes": rss} for pid, rss in memory.items()],
            })
    return 0


def _report_lingering_threads(emitter, kind_machinery):
    """Threads the function started and left running: the harness exits without waiting for
    them (a thread that never ends would hang the exit), but they ran through later runs."""
    names = [t.name for t in threading.enumerate() if not _harness_thread(t, kind_machinery)]
    if names:
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        emitter.emit({"type": "notice", "message": (
            "The function left %d thread(s) running (%s); they ran on during the later runs and "
            "were stopped with the profile." % (len(names), shown))})


def _harness_thread(thread, kind_machinery):
    """The harness's own threads and those of the pools it ran (queue feeders, managers), and
    of the packages a kind ran on (`kind_machinery`)."""
    if thread is threading.main_thread() or thread.name.startswith("conclens-") or isinstance(thread, threading._DummyThread):
        return True
    owner = getattr(getattr(thread, "_target", None), "__module__", None) or type(thread).__module__
    return owner.startswith(("multiprocessing", "concurrent.futures") + tuple(kind_machinery))


def _stop_multiprocessing_helpers():
    # The resource tracker (spawn, forkserver) and the fork server are this process's own
    # helpers, not the function's: end them the way multiprocessing does at exit (the harness
    # leaves with os._exit), so that the keeper does not report them as left running.
    for module, name in (("forkserver", "_forkserver"), ("resource_tracker", "_resource_tracker")):
        helper = getattr(getattr(multiprocessing, module, None), name, None)
        try:
            helper._stop()
        except Exception:
            pass


if __name__ == "__mp_main__":
    # A spawned child of the harness (a pool worker, or a process the user's code started).
    _guard_process_start()
elif __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import conclens_harness
    conclens_keeper.run(conclens_harness.main)
