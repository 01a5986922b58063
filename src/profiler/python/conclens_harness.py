"""Concurrency Lens pool harness: runs one user function serially, under ThreadPoolExecutor
and under ProcessPoolExecutor, and measures every task.

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
import traceback
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
    import resource
except ImportError:
    resource = None

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
    record = {
        "index": index, "start": start, "end": end, "cpu": cpu_end - cpu_start,
        "runq": _read_runq(probe) - runq_start, "coreStart": core_start,
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
    return record, result


def _thread_task(function, args, kwargs, index):
    return _measured_call(function, args, kwargs, index)[0]


NO_MAIN_GUARD = "conclens: the module starts processes while it is being imported"


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
            raise RuntimeError(NO_MAIN_GUARD)
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


def _process_task(target, function_name, payload, index):
    """Runs in a pool worker: unpickle the arguments, call, pickle the result, timing both."""
    try:
        function = getattr(conclens_target.import_target(target), function_name)
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


class _Watchdog:
    """Stops a configuration that outlives its timeout: dumps every thread's stack and the
    lock holders and waiters (of this process and of pool workers), then exits."""

    def __init__(self, emitter, timeout_s, describe):
        self.emitter = emitter
        self.timeout_s = timeout_s
        self.describe = describe
        self.done = threading.Event()
        self.worker_pids = []
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
            "message": "%s did not finish within %gs (deadlock or endless loop); stopped." % (
                self.describe["label"], self.timeout_s),
            "stacks": stacks, "lockState": locks,
        })
        os._exit(4)

    def stop(self):
        self.done.set()


class _GilProbe:
    """The cross-check of GIL wait that needs no /proc: a thread that sleeps 1 ms in a loop.
    Waking needs the GIL, so the overshoot of each sleep is about how long the GIL was held by
    others (two CPU-bound threads: ~5-15 ms; threads that release it: ~0.1 ms). On a busy
    machine the probe also waits for a CPU to wake on; that runqueue wait (read from its own
    schedstat where /proc has it) is taken out, or load would pass for GIL contention."""

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
        end, lingering = _end_pool(pool, workers_started)
    ipc = {
        "argsPickleNs": args_pickle_ns, "argsBytes": sum(len(p) for p in payloads),
        "argsUnpickleNs": sum(r["ipc"]["argsUnpickleNs"] for r in records),
        "resultPickleNs": sum(r["ipc"]["resultPickleNs"] for r in records),
        "resultBytes": sum(r["ipc"]["resultBytes"] for r in records),
        "resultUnpickleNs": result_unpickle_ns,
    }
    return records, {"ipc": ipc, "memory": memory, "end": end, "lingeringWorkers": lingering}


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


class _WorkerCrash(Exception):
    def __init__(self, error, exit_codes, pids):
        super().__init__(str(error))
        self.exit_codes = exit_codes
        self.pids = pids


class _WorkerImportFailure(Exception):
    def __init__(self, error):
        super().__init__(error["message"])
        self.error = error


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
    free_threaded_build = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return free_threaded_build, (is_enabled() if is_enabled else True)


def _limit_memory(limit_bytes):
    """Applies the address-space limit; a message when this system does not allow it."""
    if not limit_bytes:
        return None
    if resource is None:
        return "a memory limit needs the resource module, which this platform does not have"
    limit = int(limit_bytes)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and limit > hard:
        return "the memory limit of %d MiB is above this system's hard limit of %d MiB" % (limit >> 20, hard >> 20)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError) as exc:
        return "the memory limit of %d MiB could not be set: %s" % (limit >> 20, exc)
    return None


def _under_limit(exc, config):
    """Names the memory limit when it is what an error ran into."""
    if isinstance(exc, MemoryError) and config.get("memoryLimitBytes"):
        return " (under the %d MiB memory limit)" % (int(config["memoryLimitBytes"]) >> 20)
    return ""


# What the harness's own pool machinery (not a task: task exceptions are recorded) raises when
# the system refuses it threads, processes or memory.
_RESOURCE_ERRORS = (MemoryError, RuntimeError, BlockingIOError)


def _is_refused_resource(exc):
    return not isinstance(exc, RuntimeError) or "can't start new thread" in str(exc)


def _resources_refused(exc, describe, config):
    limit = config.get("memoryLimitBytes")
    return {"type": "fault", "fault": "memory", "configuration": describe, "error": _describe_exception(exc),
            "message": "%s could not start: the system refused the profiler the threads, processes or memory it "
                       "needs (%s: %s%s); use fewer workers%s." % (
                           describe["label"], type(exc).__name__, exc,
                           ", under the %d MiB memory limit" % (int(limit) >> 20) if limit else "",
                           " or a higher --memory-limit" if limit else "")}


def _plan(config, kinds, skipped_kinds):
    workers_list = config.get("workers") or _default_workers()
    plan = [("serial", 1)] if "serial" in kinds else []
    for kind in ("thread", "process"):
        if kind in kinds and kind not in skipped_kinds:
            plan.extend((kind, w) for w in workers_list)
    return plan


def _read_tasks(config, module, configurations, repeat, emitter):
    """The tasks, or None after a fault saying why there are none to run (or too many)."""
    expression = config["tasks"]
    runs = configurations * repeat
    limit = max(1, _MAX_TASK_SPANS // max(1, runs))
    try:
        tasks, length = conclens_target.read_tasks(expression, dict(vars(module)), limit)
    except BaseException as exc:
        emitter.emit({"type": "fault", "fault": "tasks", "error": _describe_exception(exc),
                      "message": "the tasks expression %r failed: %s: %s%s" % (
                          expression, type(exc).__name__, exc, _under_limit(exc, config))})
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
    limit_problem = _limit_memory(config.get("memoryLimitBytes"))
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
        fault = _import_fault(exc, module_name, function_name, start_method)
        fault["message"] += _under_limit(exc, config)
        emitter.emit(fault)
        return 2
    if not callable(function):
        emitter.emit({"type": "fault", "fault": "import", "message": "%s.%s is not a function: it is %s %s." % (
            module_name, function_name, "an" if type(function).__name__[0] in "aeiou" else "a", type(function).__name__)})
        return 2

    kinds = config.get("kinds") or ["serial", "thread", "process"]
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
    plan = _plan(config, kinds, skipped_kinds)
    tasks = _read_tasks(config, module, len(plan), repeat, emitter)
    if tasks is None:
        return 2
    emitter.emit({"type": "tasks", "count": len(tasks), "module": module_name})
    code = _run_plan(config, plan, repeat, target, function, tasks, emitter, multiprocessing.get_context(start_method), start_method)
    if code == 0:
        _report_lingering_threads(emitter)
        _stop_multiprocessing_helpers()
        emitter.emit({"type": "done"})
    return code


def _run_plan(config, plan, repeat, target, function, tasks, emitter, context, start_method):
    """Every configuration, every repetition; 0, or 3 when one could not complete."""
    timeout_s = float(config.get("timeoutSec", 60))
    skipped_kinds = set()
    for repetition in range(repeat):
        for kind, workers in plan:
            if kind in skipped_kinds:
                continue
            label = "serial" if kind == "serial" else "%s x%d" % (kind, workers)
            describe = {"kind": kind, "workers": workers, "repetition": repetition, "label": label}
            emitter.emit({"type": "config-start", **describe, "timeoutSec": timeout_s})
            try:
                watchdog = _Watchdog(emitter, timeout_s, describe)
            except _RESOURCE_ERRORS as exc:
                if not _is_refused_resource(exc):
                    raise
                emitter.emit(_resources_refused(exc, describe, config))
                return 3
            if kind != "process":
                _reset_peak_rss()
            start = _perf_ns()
            try:
                if kind == "serial":
                    records, extra = _run_serial(function, tasks)
                elif kind == "thread":
                    records, extra = _run_threads(function, tasks, workers)
                else:
                    records, extra = _run_processes(target, config["function"], tasks, workers,
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
                emitter.emit({**_import_fault(exc, target[0], config["function"], start_method),
                              "configuration": describe, "error": exc.error})
                return 3
            except _RESOURCE_ERRORS as exc:
                if not _is_refused_resource(exc):
                    raise
                watchdog.stop()
                emitter.emit(_resources_refused(exc, describe, config))
                return 3
            end = extra.get("end") or _perf_ns()
            watchdog.stop()
            if extra.get("lingeringWorkers"):
                emitter.emit({"type": "notice", "message": (
                    "%d worker process(es) of %s did not exit within %gs of their last task (a thread the "
                    "function started was still running) and were killed." % (
                        len(extra["lingeringWorkers"]), label, _WORKER_EXIT_GRACE_S))})
            memory = extra.get("memory") or {os.getpid(): _peak_rss_bytes(os.getpid())}
            emitter.emit({
                "type": "run", **describe, "start": start, "end": end, "wallNs": end - start,
                "tasks": records, "ipc": extra.get("ipc"), "gilProbe": extra.get("gilProbe"),
                "memory": [{"pid": pid, "peakRssBytes": rss} for pid, rss in memory.items()],
            })
    return 0


def _report_lingering_threads(emitter):
    """Threads the function started and left running: the harness exits without waiting for
    them (a thread that never ends would hang the exit), but they ran through later runs."""
    names = [t.name for t in threading.enumerate() if not _harness_thread(t)]
    if names:
        shown = ", ".join(names[:5]) + (", …" if len(names) > 5 else "")
        emitter.emit({"type": "notice", "message": (
            "The function left %d thread(s) running (%s); they ran on during the later runs and "
            "were stopped with the profile." % (len(names), shown))})


def _harness_thread(thread):
    """The harness's own threads and those of the pools it ran (queue feeders, managers)."""
    if thread is threading.main_thread() or thread.name.startswith("conclens-") or isinstance(thread, threading._DummyThread):
        return True
    owner = getattr(getattr(thread, "_target", None), "__module__", None) or type(thread).__module__
    return owner.startswith(("multiprocessing", "concurrent.futures"))


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
