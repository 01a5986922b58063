"""The dask kind: the same measured task on a Dask cluster.

A Dask client is a concurrent.futures-style executor, so the wrapper that measures a task in a
process pool worker (conclens_harness._process_task: unpickle the arguments, call, pickle the
result) runs unchanged inside a Dask worker. This module adds what a cluster costs on top:
when each task was submitted, when its worker began it and sent its result back, and when the
harness held the result; worker start-up; the clock offset of workers on other hosts; retries
after a worker died.

Default cluster: a LocalCluster of worker processes (one thread each) on 127.0.0.1, started
once at the smallest worker count and only ever scaled up, its scratch space in the run's
temporary directory. With a scheduler address: that cluster, never shut down, its workers as
they are. Imported by the harness only for the dask kind; needs `distributed`.
"""

import importlib
import logging
import os
import pickle
import socket
import sys
import threading

import conclens_faults
import conclens_harness as _h
import conclens_locks
import conclens_target

_INSTALL_HINT = (
    "Install it into that interpreter (`%s -m pip install distributed`; on Debian or Ubuntu "
    "`apt-get install python3-distributed` for /usr/bin/python3) or pick one that has it with --python."
)
_CLOCK_ROUND_TRIPS = 5
# How long a timed-out run may spend putting an existing cluster's workers back as they were
# (within the 5 s the runner allows past the timeout).
_CLOSE_ON_TIMEOUT_S = 3.0
# Each is imported as it arrives on a worker: the ones it imports go first.
_HARNESS_MODULES = ("conclens_keeper", "conclens_faults", "conclens_locks", "conclens_target", "conclens_harness",
                    "conclens_async", "conclens_dask")


def missing_reason():
    """Why this interpreter cannot run the dask kind, or None."""
    try:
        importlib.import_module("distributed")
    except Exception as exc:
        return "the dask kind needs the `distributed` package, which %s cannot import (%s: %s). %s" % (
            sys.executable, type(exc).__name__, exc, _INSTALL_HINT % sys.executable)
    return None


# ---------------------------------------------------------------------------------------
# In the worker processes.

_ready_for = None


def _boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _make_ready(paths):
    """Lets this worker import the user's module and time its locks like a pool worker (once
    per worker process: a worker Dask restarted after a death starts fresh). A local cluster's
    workers inherited the harness's sys.path; an existing cluster's get the module's directory
    last, so that nothing the worker imports is shadowed by the user's files."""
    global _ready_for
    if _ready_for == paths:
        return
    import_dir, root = paths
    if os.path.isdir(import_dir) and import_dir not in sys.path:
        sys.path.append(import_dir)
    if not conclens_locks.installed() and os.path.isdir(root):
        conclens_locks.install(root)
    _ready_for = paths


def prepare_worker(paths, dump_dir):
    """Run on each worker's main thread (Client.run): readiness, and who this worker is. A
    local cluster's workers (dump_dir given) also get what a pool worker gets: the stack-dump
    signal handler for timeouts, the guard against processes started at import time, and
    interpreters they spawn import the harness first. (They need no parent-death signal:
    Dask's own ends them when the harness dies.)"""
    _make_ready(paths)
    if dump_dir is not None:
        _h._dump_dir = dump_dir
        _h._install_dump_handler()
        _h._guard_process_start()
        conclens_target.isolate_spawned_interpreters()
    return {"pid": os.getpid(), "host": socket.gethostname(), "bootId": _boot_id()}


def leave_worker(paths):
    """Undoes prepare_worker on an existing cluster's worker, which outlives the profile."""
    global _ready_for
    conclens_locks.uninstall()
    if paths[0] in sys.path:
        sys.path.remove(paths[0])
    _ready_for = None


def clock_reading():
    return _h._perf_ns()


def peak_rss():
    return os.getpid(), _h._peak_rss_bytes(os.getpid())


def reset_peak_rss():
    _h._reset_peak_rss()


def dask_task(target, function_name, payload, index, paths):
    """The task Dask runs: the pool worker's measured call, with the times the cluster adds."""
    received = _h._perf_ns()
    _make_ready(paths)
    record, result_bytes = _h._process_task(target, function_name, payload, index)
    from distributed import get_worker
    record["dask"] = {"worker": get_worker().address, "host": socket.gethostname(),
                      "receivedNs": received, "sentNs": _h._perf_ns()}
    return record, result_bytes


# ---------------------------------------------------------------------------------------
# In the harness.

def clock_offset(samples):
    """(offset, uncertainty) from round trips (local_before, remote, local_after): the remote
    reading was taken somewhere inside its round trip, so the fastest one bounds it best
    (Cristian's algorithm). offset + remote reading = the same instant on the local clock."""
    before, remote, after = min(samples, key=lambda s: s[2] - s[0])
    return (before + after) // 2 - remote, (after - before + 1) // 2


def _describe_connect_error(address, timeout_s, exc):
    return ("--dask-scheduler %s: no Dask scheduler answered within %gs (%s: %s). Check the address "
            "(tcp://HOST:PORT, as `dask scheduler` prints it) and that the scheduler is running and reachable."
            % (address, timeout_s, type(exc).__name__, str(exc).split("\n")[0]))


class DaskSession:
    """One cluster for all dask configurations of a profile; the harness closes it before it
    exits (it leaves with os._exit, so nothing at exit would)."""

    def __init__(self, scheduler_address, timeout_s, root, import_dir, dump_dir):
        self.address = scheduler_address
        self.timeout_s = timeout_s
        self.paths = (import_dir, root)
        self.dump_dir = dump_dir
        self.cluster = None
        self.client = None
        self.workers = {}
        self.boot_id = _boot_id()
        self.uploaded = []

    # -- the cluster

    def _connect(self):
        from distributed import Client
        try:
            self.client = Client(self.address, timeout=self.timeout_s, set_as_default=False)
        except Exception as exc:
            raise conclens_faults.KindFault({"fault": "cluster", "message": _describe_connect_error(self.address, self.timeout_s, exc)},
                                fatal=True) from None
        # The cluster's workers cannot import the harness from here: ship it (removed on close).
        from distributed.diagnostics.plugin import UploadFile
        for name in _HARNESS_MODULES:
            plugin = "conclens-%s-%d" % (name, os.getpid())
            self.client.register_worker_plugin(UploadFile(os.path.join(conclens_target.HARNESS_DIR, name + ".py")),
                                               name=plugin)
            self.uploaded.append(plugin)

    def sizes(self, worker_counts):
        """Worker counts to run at: each requested one on the local cluster; an existing cluster
        is measured as it is, its worker threads being the workers (connecting to it here)."""
        if not self.address:
            return sorted(set(worker_counts))
        if self.client is None:
            self._connect()
        return [max(1, sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values()))]

    def ready(self, count):
        """The cluster with `count` worker processes; returns how long starting new ones took."""
        if self.address:
            return None
        if self.cluster is not None and len(self.cluster.workers) >= count:
            return None
        started = _h._perf_ns()
        try:
            if self.cluster is None:
                from distributed import Client, LocalCluster
                self.cluster = LocalCluster(
                    n_workers=count, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=logging.ERROR, memory_limit=0,
                    # Worker scratch space goes with the run's temporary directory.
                    local_directory=os.path.join(self.dump_dir, "dask"))
                self.client = Client(self.cluster, set_as_default=False)
            else:
                self.cluster.scale(count)
            self.client.wait_for_workers(count, timeout=self.timeout_s)
        except Exception as exc:
            raise conclens_faults.KindFault({"fault": "cluster", "error": conclens_faults.describe_exception(exc),
                                 "message": "the local Dask cluster could not start %d worker%s within %gs: %s: %s" % (
                                     count, "" if count == 1 else "s", self.timeout_s, type(exc).__name__, exc)},
                                fatal=True) from None
        return _h._perf_ns() - started

    def _worker_table(self):
        """Every current worker, prepared and with its clock offset (new ones measured now)."""
        info = self.client.scheduler_info()["workers"]
        new = [address for address in info if address not in self.workers]
        if new:
            prepared = self.client.run(prepare_worker, self.paths, None if self.address else self.dump_dir, workers=new)
            for address, who in prepared.items():
                offset, uncertainty = self._offset(address, who["bootId"])
                self.workers[address] = {"address": address, "host": who["host"], "pid": who["pid"],
                                         "nthreads": info[address]["nthreads"],
                                         "clockOffsetNs": offset, "clockUncertaintyNs": uncertainty}
        return [self.workers[address] for address in info if address in self.workers]

    def _offset(self, address, boot_id):
        if boot_id is not None and boot_id == self.boot_id:
            return 0, 0  # One boot, one CLOCK_MONOTONIC.
        samples = []
        for _ in range(_CLOCK_ROUND_TRIPS):
            before = _h._perf_ns()
            remote = self.client.run(clock_reading, workers=[address])[address]
            samples.append((before, remote, _h._perf_ns()))
        return clock_offset(samples)

    def local_pids(self):
        return [w["pid"] for w in self.workers.values()] if not self.address else []

    # -- one configuration

    def run(self, target, function_name, tasks, count, watchdog):
        startup = self.ready(count)
        workers = self._worker_table()
        watchdog.worker_pids = self.local_pids()
        if self.address:
            watchdog.note = (" The tasks still running on the cluster's workers were left to finish: Dask cannot "
                             "stop a running task, and the profiler never stops the workers of an existing cluster.")
            watchdog.before_exit = lambda: self.close(_CLOSE_ON_TIMEOUT_S)
        self.client.run(reset_peak_rss)
        try:
            t0 = _h._perf_ns()
            payloads = [pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL) for task in tasks]
            args_pickle_ns = _h._perf_ns() - t0
        except Exception as exc:
            raise conclens_faults.KindFault({"fault": "unpicklable", "skippedKind": "dask",
                                 "message": "a task's arguments cannot be pickled for Dask: %s: %s" % (type(exc).__name__, exc)},
                                fatal=False) from None
        from distributed import as_completed
        count = len(payloads)
        start = submitted = _h._perf_ns()
        # All at once, as Client.map does; pure=False: Dask would otherwise run identical calls
        # once and share the result, a speedup that is not there.
        futures = self.client.map(dask_task, [target] * count, [function_name] * count, payloads, range(count),
                                  [self.paths] * count, pure=False)
        index_of = {future.key: index for index, future in enumerate(futures)}
        records = [None] * count
        result_unpickle_ns = 0
        # Results are fetched as the tasks finish, concurrently, on the client's own thread.
        for future, outcome in as_completed(futures, loop=self.client.loop, with_results=True, raise_errors=False):
            held = _h._perf_ns()
            index = index_of[future.key]
            if future.status != "finished":
                raise self._task_failure(outcome[1] if isinstance(outcome, tuple) else outcome, index)
            record, result_bytes = outcome
            if "importError" in record:
                raise conclens_faults.WorkerImportFailure(self._import_hint(record["importError"]))
            t1 = _h._perf_ns()
            if result_bytes:
                pickle.loads(result_bytes)
            result_unpickle_ns += _h._perf_ns() - t1
            records[index] = self._on_local_clock(record, submitted, held)
        end = _h._perf_ns()
        retried = self._retried([future.key for future in futures], index_of)
        memory = dict(self.client.run(peak_rss).values())
        self.client.cancel(futures)
        ipc = _h._ipc_totals(args_pickle_ns, payloads, records, result_unpickle_ns)
        dask = {"scheduler": self.address or self.cluster.scheduler_address, "local": not self.address, "startupNs": startup,
                "workers": workers, "retriedTasks": retried}
        return records, {"ipc": ipc, "memory": memory, "dask": dask, "span": (start, end)}

    def _on_local_clock(self, record, submitted, held):
        worker = self.workers.get(record["dask"]["worker"])
        offset = worker["clockOffsetNs"] if worker else 0
        if offset:
            record["start"] += offset
            record["end"] += offset
            record["lockSpans"] = [[f, l, a + offset, b + offset, c + offset] for f, l, a, b, c in record.get("lockSpans", [])]
        dask = record["dask"]
        dask["receivedNs"] += offset
        dask["sentNs"] += offset
        dask["submittedNs"] = submitted
        dask["resultNs"] = held
        return record

    def _retried(self, keys, index_of):
        """Tasks whose worker died under them and that Dask ran again (the scheduler counts them)."""

        def suspicious(keys, dask_scheduler=None):
            return {key: dask_scheduler.tasks[key].suspicious for key in keys if key in dask_scheduler.tasks}

        counts = self.client.run_on_scheduler(suspicious, keys)
        return sorted(index_of[key] for key, count in counts.items() if count)

    def _task_failure(self, exc, index):
        from distributed import KilledWorker
        if isinstance(exc, KilledWorker):
            return conclens_faults.KindFault({"fault": "crash", "error": {"type": "KilledWorker", "message": str(exc), "traceback": ""},
                                  "message": "task %d killed every Dask worker that ran it, so Dask gave up on it "
                                             "(KilledWorker, after `distributed.scheduler.allowed-failures` retries): "
                                             "the function crashes the interpreter (os._exit, a segfault in C code, or "
                                             "the out-of-memory killer)." % index},
                                 fatal=True)
        return conclens_faults.KindFault({"fault": "cluster", "error": conclens_faults.describe_exception(exc),
                              "message": "Dask could not run task %d: %s: %s" % (index, type(exc).__name__, exc)},
                             fatal=True)

    def _import_hint(self, error):
        if self.address:
            error = dict(error, message=error["message"] + " (the workers of an existing cluster need the code: the "
                                                           "same files at the same path, or the package installed)")
        return error

    def close(self, within_s):
        """Closes the client and the local cluster, or puts an existing cluster's workers back as
        they were; gives up after `within_s` (a cluster that stopped answering must not hold the
        harness: the keeper stops whatever of a local cluster is left)."""
        closing = threading.Thread(target=self._close, name="conclens-dask-close", daemon=True)
        closing.start()
        closing.join(within_s)

    def _close(self):
        if self.client is None:
            return
        client, self.client = self.client, None
        try:
            if self.address:
                client.run(leave_worker, self.paths)
                for plugin in self.uploaded:
                    client.unregister_worker_plugin(plugin)
            client.close()
            if self.cluster is not None:
                self.cluster.close()
        except Exception:
            # The harness is ending either way; the keeper stops whatever is left below it.
            pass
