"""The keeper: the process the Node runner starts. It forks the harness and outlives it, so
that nothing the profiled function starts can outlive the profile.

- It is the child subreaper (Linux, prctl PR_SET_CHILD_SUBREAPER) of everything below it:
  a process the function starts in a new session, or one that double-forks, is re-parented
  to the keeper when its parent exits, not to init, and stays findable.
- When the harness exits (done, crashed or killed), the keeper kills and reaps every process
  still below it and reports the ones the function left running.
- It exits promptly when the runner dies (PR_SET_PDEATHSIG, and a check of the parent pid for
  a runner that died before that was set), taking the whole tree and the run's temporary
  directory with it; the harness gets the same signal when the keeper dies.

Standard library only. It runs no user code and reads nothing the user wrote.
"""

import json
import os
import shutil
import signal
import sys
import time
import traceback

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# How long the keeper keeps killing and reaping before it gives up on a process (one stuck
# in uninterruptible sleep cannot be reaped at all).
_SWEEP_LIMIT_S = 5.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def prctl(option, value):
    """Linux prctl through libc; False where it does not exist (macOS, no ctypes)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (ImportError, OSError, AttributeError):
        return False


def die_with_parent(signum, expected_parent):
    """Asks the kernel for `signum` when the parent exits; True if the parent is still the one
    expected (it may have died before the request was made)."""
    prctl(PR_SET_PDEATHSIG, signum)
    return expected_parent is None or os.getppid() == expected_parent


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop(signum)


def _descendants(root):
    """Every process below `root`, from one scan of /proc: [(pid, state)]."""
    children = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append((int(name), fields[0].decode()))
    found, pending = [], [root]
    while pending:
        for pid, state in children.get(pending.pop(), ()):
            found.append((pid, state))
            pending.append(pid)
    return found


def _command_line(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return " ".join(handle.read().replace(b"\0", b" ").decode("utf-8", "replace").split())[:200]
    except OSError:
        return ""


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _end_tree():
    """Kills and reaps everything below the keeper until nothing is left; returns what was
    alive when the sweep began."""
    me = os.getpid()
    first = None
    deadline = time.monotonic() + _SWEEP_LIMIT_S
    while True:
        below = _descendants(me)
        if first is None:
            first = [{"pid": pid, "command": _command_line(pid)} for pid, state in below if state != "Z"]
        for pid, state in below:
            if state != "Z":
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        _reap()
        if not below or time.monotonic() > deadline:
            return first
        time.sleep(0.01)


def _emit(fd, event):
    try:
        os.write(fd, (json.dumps(event, separators=(",", ":")) + "\n").encode())
    except OSError:
        pass  # The runner is gone.


def _run_harness(harness_main, config):
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    code = 1
    try:
        if die_with_parent(signal.SIGKILL, config["keeperPid"]):
            code = harness_main(config)
    except BaseException:
        traceback.print_exc()
    finally:
        # The user's threads are not waited for (one that never ends would hang the exit),
        # but their output is kept.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def run(harness_main):
    """The keeper's whole life; `harness_main(config)` runs in the forked harness."""
    config = json.loads(sys.stdin.read())
    if not hasattr(os, "fork"):
        sys.exit(harness_main(config))  # No fork (Windows): the harness runs unsupervised.
    results_fd = int(config.get("resultsFd", 3))
    config["keeperPid"] = os.getpid()
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    # Signals that end the keeper wait until it has a harness to end with it.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _raise_stop)
    runner_alive = die_with_parent(signal.SIGTERM, config.get("parentPid"))
    status = None
    harness = None
    try:
        if runner_alive:
            harness = os.fork()
            if harness == 0:
                _run_harness(harness_main, config)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        while harness is not None:
            pid, wait_status = os.waitpid(-1, 0)  # orphans re-parented here are reaped too
            if pid == harness:
                status = wait_status
                break
    except _Stop:
        pass
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    left = _end_tree()
    if config.get("parentPid") is not None and os.getppid() != config["parentPid"]:
        # Nobody is left to read results or remove the run's files.
        shutil.rmtree(config.get("dumpDir") or "", ignore_errors=True)
        os._exit(1)
    code = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
    event = {"type": "ended", "code": code if code >= 0 else None, "signal": None,
             "strayProcesses": [p for p in left if p["pid"] != harness] if code == 0 else []}
    if code < 0:
        try:
            event["signal"] = signal.Signals(-code).name
        except ValueError:
            event["signal"] = "signal %d" % -code
    _emit(results_fd, event)
    os._exit(code if code >= 0 else 128 - code)
