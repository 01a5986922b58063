import ts from 'typescript';
import type { Finding } from '../../shared/findings';
import type { SourceFile } from '../language';
import { analyzeAsyncFunction } from './async-flow';
import { CallTargets } from './call-targets';
import { checkCallbackResourceRaces } from './callback-races';
import { callbackTiming, unwrapCallback } from './continuations';
import { EvidenceIndex } from './evidence';
import { ModuleExports } from './exports';
import { FindingSink } from './findings';
import { LifecycleFacts, emptinessOperand, trackedProperty } from './lifecycle';
import { LockAnalysis, type LockOrderEdge } from './locks';
import { syntaxOnlyOracle, type TypeOracle } from './oracle';
import { constructionsIn, scanConstructions, type Construction, type OwnershipFacts } from './ownership';
import { ScopeIndex } from './scope';
import { checkSharedMemory } from './shared-memory';
import { isAsyncFunction, isFunctionNode, nearestFunction, ownerOf, walkIteratively, walkSubtree, type FunctionNode } from './syntax';
import { checkLostWakeups } from './wakeups';

/** What `summarize` returns for one file: plain data, safe to structured-clone off a worker thread. */
export interface TsFileSummary {
  path: string;
  /** Findings decided within the file (all rules except lock-order cycles). */
  findings: Finding[];
  /** Lock nestings, closed into cycles over every file of the run by `check`. */
  lockEdges: LockOrderEdge[];
  /** Per finding, what it says independent of where the file lives: copies of one source (cjs/esm/src) share it. */
  fingerprints: string[];
  /** Per finding, what object creations elsewhere in the run can refute (null when nothing). */
  ownership: (OwnershipFacts | null)[];
  /** The objects this file creates, and whether each lives for one operation only. */
  constructions: Construction[];
}

const DECLARATION_FILE = /\.d\.[mc]?tsx?$/i;
/** A file mentioning none of these has nothing any rule looks at: skip parsing it at all. */
const RELEVANT =
  /await|yield|Atomics|SharedArrayBuffer|Worker|workerData|runExclusive|acquire|locks\.request|exists|access\(|stat\(|nextTick|setImmediate|setTimeout|\.then\(|\.once\(|\(\s*(?:err|error|er)\s*[,)]/;
const SHARED_MEMORY = /Atomics|SharedArrayBuffer|Worker|workerData/;
const LOCKS = /runExclusive|acquire|locks\.request|waitForUnlock|Mutex|Semaphore/;

export function emptySummary(path: string): TsFileSummary {
  return { path, findings: [], lockEdges: [], fingerprints: [], ownership: [], constructions: [] };
}

export function isDeclarationFile(path: string): boolean {
  return DECLARATION_FILE.test(path);
}

function scriptKind(path: string): ts.ScriptKind {
  const lower = path.toLowerCase();
  if (lower.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (lower.endsWith('.jsx')) return ts.ScriptKind.JSX;
  if (/\.[mc]?ts$/.test(lower)) return ts.ScriptKind.TS;
  return ts.ScriptKind.JS;
}

/** Parses a file; a stack overflow inside the TypeScript parser (absurd nesting) becomes a clear error. */
function parseFile(file: SourceFile): ts.SourceFile {
  try {
    return ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, scriptKind(file.path));
  } catch (error) {
    if (error instanceof RangeError) {
      throw new Error('expressions nested too deeply for the TypeScript parser (stack limit reached); file not analyzed');
    }
    throw error;
  }
}

/** Syntax-only mode: one file, no type information. */
export function summarizeFile(file: SourceFile): TsFileSummary {
  if (isDeclarationFile(file.path)) return emptySummary(file.path);
  if (!RELEVANT.test(file.text)) return { ...emptySummary(file.path), constructions: scanConstructions(file.text) };
  return analyzeSourceFile(parseFile(file), file.path, syntaxOnlyOracle);
}

interface FileFacts {
  /** Functions with suspension points (`await`, callbacks that run in a later turn), each walked as one flow. */
  units: FunctionNode[];
  functions: FunctionNode[];
  calls: ts.CallExpression[];
  newExpressions: ts.NewExpression[];
  elementAccesses: ts.ElementAccessExpression[];
  assignments: ts.BinaryExpression[];
  updates: (ts.PrefixUnaryExpression | ts.PostfixUnaryExpression)[];
  emptinessTests: { property: string; node: ts.Node }[];
  workerConstructions: ts.NewExpression[];
  isWorkerFile: boolean;
}

/**
 * The units of the flow analysis: async functions that suspend, and functions that hand a
 * callback to something that runs it in a later turn. Such a callback inside a function is
 * walked as the continuation of that function, not on its own.
 */
class UnitCollector {
  private readonly suspending = new Set<FunctionNode>();
  private readonly continuations = new Set<FunctionNode>();

  noteSuspension(node: ts.Node): void {
    const fn = nearestFunction(node);
    if (fn && isAsyncFunction(fn)) this.suspending.add(fn);
  }

  noteCall(call: ts.CallExpression): void {
    for (const argument of call.arguments) {
      if (callbackTiming(call, argument) !== 'later') continue;
      const owner = nearestFunction(call);
      if (!owner) continue;
      this.suspending.add(owner);
      this.continuations.add(unwrapCallback(argument)!.fn);
    }
  }

  units(): FunctionNode[] {
    return [...this.suspending].filter((fn) => !this.continuations.has(fn));
  }
}

/** One iterative walk over the file collects everything the rules look at. */
function collectFacts(sourceFile: ts.SourceFile, wantElementAccesses: boolean): FileFacts {
  const facts: FileFacts = {
    units: [], functions: [], calls: [], newExpressions: [], elementAccesses: [], assignments: [], updates: [], emptinessTests: [], workerConstructions: [], isWorkerFile: false,
  };
  const units = new UnitCollector();
  walkIteratively(sourceFile, (node) => {
    const emptied = emptinessOperand(node);
    const tracked = emptied && trackedProperty(emptied);
    if (tracked) facts.emptinessTests.push({ property: tracked, node });
    switch (node.kind) {
      case ts.SyntaxKind.AwaitExpression:
      case ts.SyntaxKind.YieldExpression:
      case ts.SyntaxKind.ForOfStatement: {
        if (ts.isForOfStatement(node) && !node.awaitModifier) break;
        units.noteSuspension(node);
        break;
      }
      case ts.SyntaxKind.CallExpression:
        facts.calls.push(node as ts.CallExpression);
        units.noteCall(node as ts.CallExpression);
        break;
      case ts.SyntaxKind.PrefixUnaryExpression:
      case ts.SyntaxKind.PostfixUnaryExpression: {
        const update = node as ts.PrefixUnaryExpression | ts.PostfixUnaryExpression;
        if (update.operator === ts.SyntaxKind.PlusPlusToken || update.operator === ts.SyntaxKind.MinusMinusToken) facts.updates.push(update);
        break;
      }
      case ts.SyntaxKind.NewExpression: {
        const created = node as ts.NewExpression;
        facts.newExpressions.push(created);
        if (ts.isIdentifier(created.expression) && created.expression.text === 'Worker') facts.workerConstructions.push(created);
        break;
      }
      case ts.SyntaxKind.ElementAccessExpression:
        if (wantElementAccesses) facts.elementAccesses.push(node as ts.ElementAccessExpression);
        break;
      case ts.SyntaxKind.BinaryExpression: {
        const binary = node as ts.BinaryExpression;
        const op = binary.operatorToken.kind;
        if (op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment) facts.assignments.push(binary);
        break;
      }
      case ts.SyntaxKind.Identifier: {
        const text = (node as ts.Identifier).text;
        const parent = node.parent;
        const isPropertyName = (ts.isPropertyAccessExpression(parent) && parent.name === node) || (ts.isPropertyAssignment(parent) && parent.name === node);
        if ((text === 'workerData' || text === 'parentPort') && !isPropertyName) facts.isWorkerFile = true;
        break;
      }
      default:
        if (isFunctionNode(node)) facts.functions.push(node);
    }
    return true;
  });
  facts.units = units.units();
  return facts;
}

/**
 * Methods that test their object's closing flag and hand on to a same-object helper that
 * suspends: the helper runs under that test, so the method is walked too (JS-ASYNC-007).
 */
function lifecycleEntries(facts: FileFacts, targets: CallTargets, lifecycle: LifecycleFacts): FunctionNode[] {
  const units = new Set(facts.units);
  const callers = new Set<FunctionNode>();
  for (const call of facts.calls) {
    const caller = nearestFunction(call);
    if (!caller || units.has(caller) || callers.has(caller) || !ts.isPropertyAccessExpression(call.expression)) continue;
    if (targets.resolve(call.expression).some((helper) => units.has(helper))) callers.add(caller);
  }
  return [...callers].filter((caller) => {
    const owner = ownerOf(caller);
    let testsFlag = false;
    walkIteratively(caller, (node) => {
      if (testsFlag || isFunctionNode(node)) return false;
      if (ts.isIfStatement(node)) {
        walkSubtree(node.expression, (inner) => {
          if (ts.isPropertyAccessExpression(inner) && lifecycle.closingFlag(inner.name.text, owner)) testsFlag = true;
          return !testsFlag;
        });
      }
      return !testsFlag;
    });
    return testsFlag;
  });
}

/** Both modes end here; the oracle is what differs. */
export function analyzeSourceFile(sourceFile: ts.SourceFile, path: string, oracle: TypeOracle): TsFileSummary {
  const text = sourceFile.text;
  // With types, a view of shared memory can hide behind an alias that names none of these words.
  const wantsSharedMemory = oracle !== syntaxOnlyOracle || SHARED_MEMORY.test(text);
  const facts = collectFacts(sourceFile, wantsSharedMemory);
  const sink = new FindingSink(path, sourceFile);
  const scope = new ScopeIndex(sourceFile);
  const lifecycle = new LifecycleFacts(facts);
  const exports = new ModuleExports(sourceFile);
  if (facts.units.length > 0) {
    const targets = new CallTargets(facts.functions, facts.newExpressions);
    const units = [...facts.units, ...lifecycleEntries(facts, targets, lifecycle)];
    const evidence = new EvidenceIndex(sourceFile, units, facts.calls, targets, exports);
    for (const fn of units) {
      analyzeAsyncFunction({ fn, scope, evidence: evidence.evidenceFor(fn), sink, sourceFile, lifecycle, targets });
    }
    checkCallbackResourceRaces(facts.calls, sink, evidence);
  }
  checkLostWakeups(facts.calls, lifecycle, sink);
  if (wantsSharedMemory) checkSharedMemory(facts, sink, oracle);
  let lockEdges: LockOrderEdge[] = [];
  if (LOCKS.test(text)) {
    const locks = new LockAnalysis(facts, sink, oracle);
    locks.run();
    lockEdges = locks.edges;
  }
  return { path, findings: sink.findings, lockEdges, fingerprints: sink.fingerprints, ownership: sink.ownership, constructions: constructionsIn(facts.newExpressions) };
}
