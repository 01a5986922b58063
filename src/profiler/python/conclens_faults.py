"""How the Concurrency Lens harness describes what went wrong: exceptions, workers that died,
modules that would not import, a memory limit the system refused or that an error ran into.

Standard library only; imported by the harness before the user's directory is on sys.path.
"""

import os
import signal
import traceback

try:  # POSIX only
    import resource
except ImportError:
    resource = None

# The message of the error raised when the user's module starts processes while it is being
# imported (conclens_harness._guard_process_start), recognised wherever it surfaces.
NO_MAIN_GUARD = "conclens: the module starts processes while it is being imported"

# What the harness's own pool machinery (not a task: task exceptions are recorded) raises when
# the system refuses it threads, processes or memory.
RESOURCE_ERRORS = (MemoryError, RuntimeError, BlockingIOError)


def describe_exception(error):
    return {
        "type": type(error).__name__,
        "message": str(error)[:2000],
        "traceback": "".join(traceback.format_exception(type(error), error, error.__traceback__))[-8000:],
    }


class WorkerCrash(Exception):
    def __init__(self, error, exit_codes, pids):
        super().__init__(str(error))
        self.exit_codes = exit_codes
        self.pids = pids


class WorkerImportFailure(Exception):
    def __init__(self, error):
        super().__init__(error["message"])
        self.error = error


class KindFault(Exception):
    """A fault a kind's own module (conclens_dask) reports: the fault event, and whether the
    profile stops or only that kind is skipped (then the event names it as skippedKind)."""

    def __init__(self, event, fatal):
        super().__init__(event["message"])
        self.event = event
        self.fatal = fatal


def read_native_dump(dump_dir, pid):
    try:
        with open(os.path.join(dump_dir, "%d.native.txt" % pid)) as handle:
            return handle.read()[-8000:]
    except OSError:
        return ""


def describe_exit(code, native_dump):
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


def import_fault(exc, module_name, function_name, start_method):
    if NO_MAIN_GUARD in str(exc):
        return {"type": "fault", "fault": "no-main-guard",
                "message": "%s starts worker processes when it is imported (no `if __name__ == "
                           "\"__main__\":` guard). The profiler imports the module, and under the %s start method every "
                           "worker re-imports it and would start processes again. Move that code under "
                           "the guard." % (module_name, start_method)}
    return {"type": "fault", "fault": "import", "error": describe_exception(exc) if isinstance(exc, BaseException) else None,
            "message": "could not import %s.%s: %s: %s" % (module_name, function_name, type(exc).__name__, exc)}


def limit_memory(limit_bytes):
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


def under_limit(exc, config):
    """Names the memory limit when it is what an error ran into."""
    if isinstance(exc, MemoryError) and config.get("memoryLimitBytes"):
        return " (under the %d MiB memory limit)" % (int(config["memoryLimitBytes"]) >> 20)
    return ""


def is_refused_resource(exc):
    return not isinstance(exc, RuntimeError) or "can't start new thread" in str(exc)


def resources_refused(exc, describe, config):
    limit = config.get("memoryLimitBytes")
    return {"type": "fault", "fault": "memory", "configuration": describe, "error": describe_exception(exc),
            "message": "%s could not start: the system refused the profiler the threads, processes or memory it "
                       "needs (%s: %s%s); use fewer workers%s." % (
                           describe["label"], type(exc).__name__, exc,
                           ", under the %d MiB memory limit" % (int(limit) >> 20) if limit else "",
                           " or a higher --memory-limit" if limit else "")}
