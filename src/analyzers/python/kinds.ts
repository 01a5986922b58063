/**
 * What a constructor call creates, by its fully qualified name (after import aliases are
 * resolved). The kinds drive the synchronisation model: which `with` items are locks, which
 * locks are re-entrant, which objects belong to an event loop, which pools run processes.
 */
const CONSTRUCTOR_KINDS: Record<string, string> = {
  'threading.Lock': 'Lock',
  'threading.RLock': 'RLock',
  'threading.Condition': 'Condition',
  'threading.Semaphore': 'Semaphore',
  'threading.BoundedSemaphore': 'Semaphore',
  'threading.Event': 'Event',
  'threading.local': 'local',
  'threading.Thread': 'Thread',
  'threading.Barrier': 'Barrier',
  '_thread.allocate_lock': 'Lock',
  'contextvars.ContextVar': 'ContextVar',
  'queue.Queue': 'Queue',
  'queue.LifoQueue': 'Queue',
  'queue.PriorityQueue': 'Queue',
  'queue.SimpleQueue': 'Queue',
  'asyncio.Queue': 'aio.Queue',
  'asyncio.LifoQueue': 'aio.Queue',
  'asyncio.PriorityQueue': 'aio.Queue',
  'asyncio.Event': 'aio.Event',
  'asyncio.Lock': 'aio.Lock',
  'asyncio.Semaphore': 'aio.Lock',
  'asyncio.BoundedSemaphore': 'aio.Lock',
  'asyncio.Condition': 'aio.Condition',
  'asyncio.Future': 'aio.Future',
  'asyncio.get_event_loop': 'aio.Loop',
  'asyncio.get_running_loop': 'aio.Loop',
  'asyncio.new_event_loop': 'aio.Loop',
  'multiprocessing.Value': 'mp.Value',
  'multiprocessing.RawValue': 'mp.Value',
  'multiprocessing.Array': 'mp.Array',
  'multiprocessing.RawArray': 'mp.Array',
  'multiprocessing.Lock': 'Lock',
  'multiprocessing.RLock': 'RLock',
  'multiprocessing.Queue': 'Queue',
  'multiprocessing.Pool': 'ProcessPool',
  'multiprocessing.pool.Pool': 'ProcessPool',
  'multiprocessing.pool.ThreadPool': 'ThreadPool',
  'multiprocessing.dummy.Pool': 'ThreadPool',
  'multiprocessing.Process': 'Process',
  'concurrent.futures.ThreadPoolExecutor': 'ThreadPool',
  'concurrent.futures.ProcessPoolExecutor': 'ProcessPool',
  'concurrent.futures.thread.ThreadPoolExecutor': 'ThreadPool',
  'concurrent.futures.process.ProcessPoolExecutor': 'ProcessPool',
  dict: 'container',
  // A list is told apart: iterating one while another thread appends is no error.
  list: 'list',
  set: 'container',
  'collections.defaultdict': 'container',
  'collections.OrderedDict': 'container',
  'collections.Counter': 'container',
  'collections.deque': 'container',
};

/** Methods that exist on many objects; resolving `x.Value(...)` by the method name alone is safe. */
const METHOD_KINDS: Record<string, string> = {
  Value: 'mp.Value',
  Array: 'mp.Array',
  create_future: 'aio.Future',
  Lock: 'Lock',
  RLock: 'RLock',
};

export function kindOfConstructor(qualified: string): string | undefined {
  if (Object.hasOwn(CONSTRUCTOR_KINDS, qualified)) return CONSTRUCTOR_KINDS[qualified];
  const method = qualified.slice(qualified.lastIndexOf('.') + 1);
  return method !== qualified && Object.hasOwn(METHOD_KINDS, method) ? METHOD_KINDS[method] : undefined;
}

/**
 * `ThreadPoolExecutor(max_workers=1)`: one worker runs the tasks one after another, in the order
 * they were submitted (a common way to serialize work): its tasks never overlap each other.
 */
export const SINGLE_WORKER_POOL = 'ThreadPool@1';

export function isThreadPoolKind(kind: string | undefined): boolean {
  return kind === 'ThreadPool' || kind === SINGLE_WORKER_POOL;
}

/** Kinds usable in `with x:` that are mutual-exclusion locks (a Semaphore may be too). */
export function isLockKind(kind: string | undefined): boolean {
  return (
    kind === 'Lock' ||
    kind === 'RLock' ||
    kind === 'Semaphore' ||
    kind === 'aio.Lock' ||
    kind === 'aio.Condition' ||
    (kind !== undefined && kind.startsWith('Condition'))
  );
}

/**
 * `threading.Condition(lock)` on a lock that is not a field or global of the run (a parameter,
 * an expression): only its creator knows which lock it is, so no held lock can be ruled out.
 */
export const CONDITION_ON_GIVEN_LOCK = 'Condition@?';

/** `Condition(self.mutex)` (kind `Condition@m:Q.mutex`): the lock it is built on, which holding it holds. */
export function lockUnderCondition(kind: string | undefined): string | undefined {
  return kind?.startsWith('Condition@') && kind !== CONDITION_ON_GIVEN_LOCK ? kind.slice('Condition@'.length) : undefined;
}

/** A `threading` lock: blocking the whole thread, and so the event loop, while held. */
export function isThreadingLockKind(kind: string | undefined): boolean {
  return kind === 'Lock' || kind === 'RLock' || kind === 'Semaphore' || (kind?.startsWith('Condition') ?? false);
}

/** Name-based fallback for lock objects whose constructor is out of sight (parameters, imports). */
export function looksLikeLockName(name: string): boolean {
  return /(lock|mutex)$/i.test(name) || /^_*(cv|cond|condition)$/i.test(name);
}

/** Contexts that run on a thread of their own (`api`: callers of a class or module meant for threads). */
export const THREAD_KINDS = new Set(['thread', 'timer', 'thread-pool', 'to-thread', 'callback', 'signal', 'atexit', 'finalizer', 'api']);
export const PROCESS_KINDS = new Set(['process', 'process-pool']);
/** Contexts that run on an event loop, interleaving with other tasks at their awaits. */
export const TASK_KINDS = new Set(['task', 'loop-callback']);
