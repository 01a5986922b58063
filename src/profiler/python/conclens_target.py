"""What the harness profiles: the user's module, imported the way their program would import
it but never in place of a module the harness itself uses, and the tasks, read lazily so that
too many are refused before they exist.

The harness and everything it needs are imported before the user's directory goes on
sys.path; a user module named like one of those (json.py, queue.py, …) is then loaded from
its file under a private name, and interpreters that multiprocessing starts import the harness
before the user's directories can shadow anything.
"""

import importlib
import importlib.util
import itertools
import os
import sys

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
_PRIVATE_PREFIX = "conclens_user_"
_STANDARD_NAMES = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names)
# sys.path before any user directory is on it: this module is imported first by the harness
# and by every interpreter multiprocessing spawns (before it copies the parent's path over).
_HARNESS_PATH = [HARNESS_DIR] + [p for p in sys.path if p not in ("", HARNESS_DIR)]


def module_name_for(root, file_path):
    """How the user's program would import the file: as a dotted module from the top of its
    package (like `python -m pkg.mod` there), else by name from its own directory (like
    `python path/to/script.py`); the package chain stops at `root`."""
    directory, filename = os.path.split(os.path.realpath(file_path))
    parts = [os.path.splitext(filename)[0]]
    while os.path.exists(os.path.join(directory, "__init__.py")) and directory != root:
        directory, package = os.path.split(directory)
        parts.insert(0, package)
    return ".".join(parts), directory


def locate(root, file_path):
    """(module name, directory to import it from, name to keep it under in sys.modules)."""
    module_name, import_dir = module_name_for(root, file_path)
    top, dot, rest = module_name.partition(".")
    taken = top in sys.modules or top in _STANDARD_NAMES
    return module_name, import_dir, (_PRIVATE_PREFIX + top + dot + rest) if taken else module_name


def put_on_path(import_dir):
    """The user's directory first, as for their program; the harness's own last."""
    sys.path[:] = [import_dir] + [p for p in sys.path if p not in (import_dir, HARNESS_DIR, "")] + [HARNESS_DIR]


def import_unshadowed(name):
    """Imports a module that only some profiles need (the async and dask kinds' own, and
    through them asyncio or distributed) from the path the harness started with, so that a
    user's file cannot stand in for it or for what it imports. It swaps sys.path for the
    import: call it only while no other thread may import (the harness's set-up, a worker's
    preparation), or for a module already imported."""
    if name in sys.modules:
        return sys.modules[name]
    saved = sys.path[:]
    sys.path[:] = _HARNESS_PATH
    try:
        return importlib.import_module(name)
    finally:
        sys.path[:] = saved


def import_target(target):
    module_name, import_dir, key = target
    if key in sys.modules:
        return sys.modules[key]
    if key != module_name:
        _load_under_private_name(module_name.partition(".")[0], import_dir, key.partition(".")[0])
    return importlib.import_module(key)


def _load_under_private_name(top, import_dir, private):
    if private in sys.modules:
        return
    package = os.path.join(import_dir, top)
    if os.path.isdir(package):
        spec = importlib.util.spec_from_file_location(private, os.path.join(package, "__init__.py"),
                                                      submodule_search_locations=[package])
    else:
        spec = importlib.util.spec_from_file_location(private, package + ".py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[private] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[private]
        raise


def isolate_spawned_interpreters():
    """Interpreters that multiprocessing starts (spawn and forkserver workers, the resource
    tracker) run `python -c …` in the working directory, so that directory comes first on
    their sys.path, and the parent's path (the user's directory first) follows: a user module
    named like one the harness or the pool machinery imports would replace it there. Their
    command now imports the harness from its own directory first."""
    from multiprocessing import util
    original = util.spawnv_passfds
    if getattr(original, "conclens_isolated", False):
        return
    prefix = ("import sys; sys.path[:] = [%r] + [p for p in sys.path if p != '']; "
              "import conclens_harness; " % HARNESS_DIR)

    def spawnv_passfds(path, args, passfds):
        args = list(args)
        if "-c" in args:
            code = args.index("-c") + 1
            args[code] = prefix + args[code]
        return original(path, args, passfds)

    spawnv_passfds.conclens_isolated = True
    util.spawnv_passfds = spawnv_passfds


def split_task(task):
    if isinstance(task, tuple):
        return task, {}
    if isinstance(task, dict):
        return (), task
    return (task,), {}


def read_tasks(expression, namespace, limit):
    """Evaluates the tasks expression and takes at most `limit` + 1 tasks from it: more than
    `limit` is refused, and a huge (or endless) iterable is never built. Returns the tasks
    and the iterable's length when it has one."""
    iterable = eval(expression, namespace)
    try:
        length = len(iterable)
    except TypeError:
        length = None
    if length is not None and length > limit:
        return None, length
    return [split_task(task) for task in itertools.islice(iterable, limit + 1)], length
