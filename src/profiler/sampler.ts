/**
 * Off-CPU reason sampling from outside the profiled processes. An in-process sampler thread
 * would compete for the GIL and distort what it measures; the Node runner is the ancestor
 * of every profiled process, so it may read /proc/<pid>/task/<tid>/syscall (ptrace-attach
 * permission). Files stay open and are re-read with pread at offset 0.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import type { CoreSample } from '../shared/trace';

/** What a thread was doing at one sample. */
export enum ThreadState {
  Running = 0,
  Futex = 1,
  Io = 2,
  Sleep = 3,
  Disk = 4,
  OtherBlocked = 5,
}

export interface ThreadSamples {
  pid: number;
  tid: number;
  times: number[];
  states: ThreadState[];
}

export interface SamplerResult {
  available: boolean;
  hz: number;
  coreHz: number;
  unavailable: string[];
  threads: Map<number, ThreadSamples>;
  cores: CoreSample[];
  samples: number;
  cpuMs: number;
}

const SYSCALLS: Record<string, { futex: number[]; io: number[]; sleep: number[] }> = {
  // x86-64: read, pread64, readv, poll, select, connect, accept, recvfrom, recvmsg,
  // wait4, epoll_wait, pselect6, ppoll, epoll_pwait, accept4, epoll_pwait2.
  x64: { futex: [202], io: [0, 17, 19, 7, 23, 42, 43, 45, 47, 61, 232, 270, 271, 281, 288, 441], sleep: [35, 230] },
  // arm64 (generic table): read, pread64, readv, pselect6, ppoll, epoll_pwait, connect,
  // accept, recvfrom, recvmsg, wait4, accept4, epoll_pwait2.
  arm64: { futex: [98], io: [63, 67, 65, 72, 73, 22, 203, 202, 207, 212, 260, 242, 441], sleep: [101, 115] },
};

const DISCOVERY_INTERVAL_MS = 100;

/** Kernel wait-channel names, for when the syscall file cannot be read (no ptrace permission
 *  or no syscall table for this architecture): coarser, but the same classes. */
function classifyWaitChannel(wchan: string): ThreadState {
  if (wchan.startsWith('futex')) return ThreadState.Futex;
  if (/nanosleep|schedule_timeout/.test(wchan)) return ThreadState.Sleep;
  if (/poll|select|sk_wait|pipe_read|unix_stream|tcp_recv|wait_woken|do_wait/.test(wchan)) return ThreadState.Io;
  return ThreadState.OtherBlocked;
}

interface OpenThread {
  pid: number;
  statFd: number;
  syscallFd: number | null;
  wchanFd: number | null;
  samples: ThreadSamples;
}

function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

export class ProcSampler {
  private readonly threads = new Map<number, OpenThread>();
  private readonly finished = new Map<number, ThreadSamples>();
  private readonly pids = new Set<number>();
  private readonly foreign = new Set<number>();
  private readonly buffer = Buffer.alloc(1024);
  /** /proc/stat grows with the core count (one line per core, then long interrupt lines). */
  private readonly statBuffer = Buffer.alloc(64 * 1024);
  private readonly unavailable: string[] = [];
  private readonly cores: CoreSample[] = [];
  private readonly table = SYSCALLS[process.arch];
  private readonly futex: Set<number>;
  private readonly io: Set<number>;
  private readonly sleep: Set<number>;
  private readonly available: boolean;
  private syscallReadable = true;
  private statFd: number | null = null;
  private lastCpuTicks: number[][] | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastDiscovery = 0;
  private samples = 0;
  private cpuAtStart: NodeJS.CpuUsage | null = null;

  constructor(
    private readonly rootPid: number,
    private readonly hz = 250,
    private readonly coreHz = 50,
    /** Where procfs is mounted; tests point it elsewhere to check the degraded path. */
    private readonly proc = '/proc',
  ) {
    this.available = existsSync(`${proc}/self/task`);
    this.futex = new Set(this.table?.futex ?? []);
    this.io = new Set(this.table?.io ?? []);
    this.sleep = new Set(this.table?.sleep ?? []);
    if (!this.available) {
      this.unavailable.push('thread states, GIL wait, I/O and sleep time, per-core utilization (no /proc on this system)');
    } else if (!this.table) {
      this.unavailable.push(`syscall classification (no syscall table for ${process.arch}): GIL wait, I/O and sleep are split by kernel wait channel instead, which is coarser`);
    }
  }

  start(): void {
    if (!this.available) return;
    this.cpuAtStart = process.cpuUsage();
    this.pids.add(this.rootPid);
    try {
      this.statFd = openSync(`${this.proc}/stat`, 'r');
    } catch {
      this.unavailable.push('per-core utilization (/proc/stat unreadable)');
    }
    this.discover();
    this.timers.push(setInterval(() => this.sampleThreads(), 1000 / this.hz));
    if (this.statFd !== null) this.timers.push(setInterval(() => this.sampleCores(), 1000 / this.coreHz));
  }

  /** Adds processes the harness reported (pool workers) before the next /proc scan finds them. */
  addPids(pids: number[]): void {
    for (const pid of pids) this.pids.add(pid);
  }

  stop(): SamplerResult {
    // The runner's whole process: the sampler is nearly all it does while a profile runs.
    const cpu = this.cpuAtStart ? process.cpuUsage(this.cpuAtStart) : null;
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    for (const tid of [...this.threads.keys()]) this.close(tid);
    if (this.statFd !== null) closeSync(this.statFd);
    this.statFd = null;
    if (!this.syscallReadable) {
      this.unavailable.push('syscall per thread (no permission to read /proc/<pid>/task/<tid>/syscall): GIL wait, I/O and sleep are split by kernel wait channel instead, which is coarser');
    }
    return {
      available: this.available,
      hz: this.hz,
      coreHz: this.coreHz,
      unavailable: this.unavailable,
      threads: this.finished,
      cores: this.cores,
      samples: this.samples,
      cpuMs: cpu ? (cpu.user + cpu.system) / 1000 : 0,
    };
  }

  private read(fd: number, buffer = this.buffer): string | null {
    try {
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.toString('latin1', 0, length);
    } catch {
      return null;
    }
  }

  /** New pool threads start with every run: list each process's threads on every tick
   *  (one readdir), and scan /proc for new processes less often. */
  private discover(): void {
    if (Date.now() - this.lastDiscovery >= DISCOVERY_INTERVAL_MS) {
      this.lastDiscovery = Date.now();
      this.findDescendants();
    }
    for (const pid of this.pids) {
      let tids: string[];
      try {
        tids = readdirSync(`${this.proc}/${pid}/task`);
      } catch {
        this.pids.delete(pid);
        continue;
      }
      for (const name of tids) {
        const tid = Number(name);
        if (!this.threads.has(tid) && !this.finished.has(tid)) this.open(pid, tid);
      }
    }
  }

  /** Processes whose parent chain reaches the root (the harness and its pool workers). */
  private findDescendants(): void {
    let entries: string[];
    try {
      entries = readdirSync(this.proc);
    } catch {
      return;
    }
    const parents = new Map<number, number>();
    for (const name of entries) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || this.pids.has(pid) || this.foreign.has(pid)) continue;
      try {
        const fd = openSync(`${this.proc}/${pid}/stat`, 'r');
        const stat = this.read(fd);
        closeSync(fd);
        if (stat) parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      } catch {
        continue;
      }
    }
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, parent] of parents) {
        if (this.pids.has(parent)) {
          this.pids.add(pid);
          parents.delete(pid);
          grew = true;
        }
      }
    }
    // A process's parent is fixed when it is created and every descendant's parent chain was
    // closed over above, so whatever is left is not ours and need not be read again.
    for (const pid of parents.keys()) this.foreign.add(pid);
  }

  private open(pid: number, tid: number): void {
    let statFd: number;
    try {
      statFd = openSync(`${this.proc}/${pid}/task/${tid}/stat`, 'r');
    } catch {
      return;
    }
    let syscallFd: number | null = null;
    if (this.syscallReadable && this.table) {
      try {
        syscallFd = openSync(`${this.proc}/${pid}/task/${tid}/syscall`, 'r');
      } catch {
        this.syscallReadable = false;
      }
    }
    let wchanFd: number | null = null;
    if (syscallFd === null) {
      try {
        wchanFd = openSync(`${this.proc}/${pid}/task/${tid}/wchan`, 'r');
      } catch {
        wchanFd = null;
      }
    }
    this.threads.set(tid, { pid, statFd, syscallFd, wchanFd, samples: { pid, tid, times: [], states: [] } });
  }

  private close(tid: number): void {
    const thread = this.threads.get(tid);
    if (!thread) return;
    closeSync(thread.statFd);
    if (thread.syscallFd !== null) closeSync(thread.syscallFd);
    if (thread.wchanFd !== null) closeSync(thread.wchanFd);
    this.threads.delete(tid);
    this.finished.set(tid, thread.samples);
  }

  private sampleThreads(): void {
    this.discover();
    const now = monotonicNs();
    for (const [tid, thread] of this.threads) {
      const stat = this.read(thread.statFd);
      if (!stat) {
        this.close(tid);
        continue;
      }
      const state = stat.charAt(stat.lastIndexOf(')') + 2);
      thread.samples.times.push(now);
      thread.samples.states.push(this.classify(state, thread));
      this.samples++;
    }
  }

  private classify(state: string, thread: OpenThread): ThreadState {
    if (state === 'R') return ThreadState.Running;
    if (state === 'D') return ThreadState.Disk;
    if (thread.syscallFd === null) {
      const wchan = thread.wchanFd === null ? null : this.read(thread.wchanFd);
      return wchan ? classifyWaitChannel(wchan) : ThreadState.OtherBlocked;
    }
    const syscall = this.read(thread.syscallFd);
    if (!syscall) return ThreadState.OtherBlocked;
    const number = Number(syscall.slice(0, syscall.indexOf(' ')));
    if (this.futex.has(number)) return ThreadState.Futex;
    if (this.io.has(number)) return ThreadState.Io;
    if (this.sleep.has(number)) return ThreadState.Sleep;
    return ThreadState.OtherBlocked;
  }

  private sampleCores(): void {
    if (this.statFd === null) return;
    const text = this.read(this.statFd, this.statBuffer);
    if (!text) return;
    const ticks: number[][] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('intr')) break;
      if (!/^cpu\d/.test(line)) continue;
      ticks.push(line.split(/\s+/).slice(1, 9).map(Number));
    }
    const previous = this.lastCpuTicks;
    this.lastCpuTicks = ticks;
    if (!previous || previous.length !== ticks.length) return;
    const busy: number[] = [];
    const steal: number[] = [];
    ticks.forEach((now, core) => {
      const delta = now.map((value, i) => value - previous[core][i]);
      const [user, nice, system, idle, iowait, irq, softirq, stolen] = delta;
      const total = user + nice + system + idle + iowait + irq + softirq + stolen;
      busy.push(total > 0 ? (user + nice + system + irq + softirq) / total : 0);
      steal.push(total > 0 ? stolen / total : 0);
    });
    this.cores.push({ timeNs: monotonicNs(), busy, steal });
  }
}
