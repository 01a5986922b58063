"""Coroutine functions (`async def`) under the profiler's kinds.

Calling an `async def` only creates a coroutine object; the work happens when an event loop
runs it. So for the serial, thread and process kinds the harness calls `blocking(function)`
instead: each task runs to completion on its thread's own loop (serial awaits the tasks one by
one on one loop; every pool thread or process has a loop of its own). The `async` kind runs up
to N tasks concurrently on one loop, the way an I/O-bound program would, and times every step
of every task (each `send` into its coroutine), so that a task is charged with its own CPU and
runqueue time only, not with what the tasks interleaved with it did on the same thread.

Standard library only, imported by the harness (conclens_harness.py) next to it when the
function is a coroutine function.
"""

import asyncio
import inspect
import threading

import conclens_faults
import conclens_harness as _h
import conclens_locks

_thread_loops = threading.local()
_open_loops = []
_open_loops_lock = _h._real_lock()


def is_coroutine_function(function):
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(getattr(function, "__call__", None))


def _loop_of_this_thread():
    loop = getattr(_thread_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = _thread_loops.loop = asyncio.new_event_loop()
        with _open_loops_lock:
            _open_loops.append(loop)
    return loop


def blocking(function):
    """A plain function that runs one call of the coroutine function on this thread's loop."""

    def run_on_thread_loop(*args, **kwargs):
        return _loop_of_this_thread().run_until_complete(function(*args, **kwargs))

    return run_on_thread_loop


def close_loops():
    """Closes the loops `blocking` opened (a thread pool's threads end without closing theirs)."""
    with _open_loops_lock:
        loops = _open_loops[:]
        del _open_loops[:]
    for loop in loops:
        if not loop.is_running():
            _close(loop)


def _close(loop):
    # What asyncio.run does on the way out: what the tasks left running is cancelled, not leaked.
    leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


class _TaskClock:
    """One task's share of the loop: its own steps' wall, CPU and runqueue time, and its lock
    bookkeeping (the harness keeps that per thread, and every task here shares one thread)."""

    __slots__ = ("wall", "cpu", "runq", "lock_spans", "lock_stats", "new_edges")

    def __init__(self):
        self.wall = self.cpu = self.runq = 0
        self.lock_spans = []
        self.lock_stats = {}
        self.new_edges = []


# A step that spent longer than this off the CPU (preempted, or blocked in a call) has its
# runqueue wait read; reading it on every step would triple the cost of a step that only
# hands control back to the loop (two /proc reads, ~2.4 µs each, against ~4 µs).
_OFF_CPU_READ_NS = 50_000


class _LoopClock:
    """Wall time the loop spent inside task steps, summed over all tasks, and the loop thread's
    runqueue counter as last read."""

    __slots__ = ("busy", "runq_read")

    def __init__(self, probe):
        self.busy = 0
        self.runq_read = conclens_locks.read_runq(probe)


class _Stepped:
    """Awaits a coroutine by driving it step by step, timing each step. What the coroutine
    yields (futures, or None to give way) is passed up to the loop's Task unchanged."""

    __slots__ = ("coro", "clock", "loop_clock", "probe")

    def __init__(self, coro, clock, loop_clock, probe):
        self.coro = coro
        self.clock = clock
        self.loop_clock = loop_clock
        self.probe = probe

    def __await__(self):
        coro, clock, loop_clock, probe = self.coro, self.clock, self.loop_clock, self.probe
        perf, cpu = _h._perf_ns, _h._cpu_ns
        value = error = None
        while True:
            probe.lock_spans, probe.lock_stats, probe.new_edges = clock.lock_spans, clock.lock_stats, clock.new_edges
            cpu_start, start = cpu(), perf()
            try:
                try:
                    yielded = coro.send(value) if error is None else coro.throw(error)
                finally:
                    # Inline, not a method: this runs on every step of every task.
                    wall = perf() - start
                    used = cpu() - cpu_start
                    clock.cpu += used
                    clock.wall += wall
                    loop_clock.busy += wall
                    if wall - used > _OFF_CPU_READ_NS:
                        # The runqueue wait since the last read, of which this step can hold at most
                        # its own time off the CPU (the rest fell between steps: the loop's own).
                        now = conclens_locks.read_runq(probe)
                        clock.runq += min(now - loop_clock.runq_read, wall - used)
                        loop_clock.runq_read = now
            except StopIteration as finished:
                return finished.value
            error = None
            try:
                value = yield yielded
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # cancellation or an exception set on the awaited future
                value, error = None, exc


async def _measured_task(function, args, kwargs, index, slot, loop_clock):
    probe = conclens_locks.thread_probe()
    clock = _TaskClock()
    busy_before = loop_clock.busy
    core_start = conclens_locks.read_core(probe)
    start = _h._perf_ns()
    error = None
    try:
        # Calling an `async def` runs none of its code; a wrapper that does work before
        # returning its coroutine is charged to the task's wall time, not to its steps.
        await _Stepped(function(*args, **kwargs), clock, loop_clock, probe)
    except BaseException as exc:  # a task's sys.exit() or cancellation is recorded, not obeyed
        error = conclens_faults.describe_exception(exc)
    end = _h._perf_ns()
    probe.lock_spans, probe.lock_stats, probe.new_edges = clock.lock_spans, clock.lock_stats, clock.new_edges
    record = _h._task_record(probe, index, start, end, clock.cpu, clock.runq, core_start, error)
    record["slot"] = slot
    # While this task was suspended the loop ran other tasks' steps for this long: time it
    # may have been ready to go on but had to wait for the loop.
    record["loopBusyNs"] = max(0, loop_clock.busy - busy_before - clock.wall)
    return record


async def _in_flight(function, tasks, slots, loop_clock):
    records = [None] * len(tasks)
    pending = iter(enumerate(tasks))

    async def slot(number):
        # Sharing one iterator is safe: every slot runs on this one thread.
        for index, (args, kwargs) in pending:
            records[index] = await _measured_task(function, args, kwargs, index, number, loop_clock)

    await asyncio.gather(*(slot(number) for number in range(max(1, min(slots, len(tasks))))))
    return records


def run_in_flight(function, tasks, slots):
    """The `async` kind: up to `slots` tasks in flight on one new event loop."""
    loop = asyncio.new_event_loop()
    loop_clock = _LoopClock(conclens_locks.thread_probe())
    try:
        records = loop.run_until_complete(_in_flight(function, tasks, slots, loop_clock))
    finally:
        _close(loop)
    return records, {"eventLoop": {"busyNs": loop_clock.busy}}
