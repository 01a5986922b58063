import ts from 'typescript';
import type { Finding } from '../../shared/findings';
import type { SourceFile } from '../language';
import { analyzeAsyncFunction } from './async-flow';
import { checkCallbackResourceRaces } from './callback-races';
import { EvidenceIndex } from './evidence';
import { FindingSink } from './findings';
import { LockAnalysis, type LockOrderEdge } from './locks';
import { syntaxOnlyOracle, type TypeOracle } from './oracle';
import { ScopeIndex } from './scope';
import { checkSharedMemory } from './shared-memory';
import { isAsyncFunction, isFunctionNode, nearestFunction, walkIteratively, type FunctionNode } from './syntax';

/** What `summarize` returns for one file: plain data, safe to structured-clone off a worker thread. */
export interface TsFileSummary {
  path: string;
  /** Findings decided within the file (all rules except lock-order cycles). */
  findings: Finding[];
  /** Lock nestings, closed into cycles over every file of the run by `check`. */
  lockEdges: LockOrderEdge[];
}

const DECLARATION_FILE = /\.d\.[mc]?tsx?$/i;
/** A file mentioning none of these has nothing any rule looks at: skip parsing it at all. */
const RELEVANT = /await|yield|Atomics|SharedArrayBuffer|Worker|workerData|runExclusive|acquire|locks\.request|exists|access\(|stat\(/;
const SHARED_MEMORY = /Atomics|SharedArrayBuffer|Worker|workerData/;
const LOCKS = /runExclusive|acquire|locks\.request|waitForUnlock|Mutex|Semaphore/;

export function emptySummary(path: string): TsFileSummary {
  return { path, findings: [], lockEdges: [] };
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
  if (isDeclarationFile(file.path) || !RELEVANT.test(file.text)) return emptySummary(file.path);
  return analyzeSourceFile(parseFile(file), file.path, syntaxOnlyOracle);
}

interface FileFacts {
  asyncFunctions: FunctionNode[];
  functions: FunctionNode[];
  calls: ts.CallExpression[];
  newExpressions: ts.NewExpression[];
  elementAccesses: ts.ElementAccessExpression[];
  assignments: ts.BinaryExpression[];
  workerConstructions: ts.NewExpression[];
  isWorkerFile: boolean;
}

/** One iterative walk over the file collects everything the rules look at. */
function collectFacts(sourceFile: ts.SourceFile, wantElementAccesses: boolean): FileFacts {
  const facts: FileFacts = { asyncFunctions: [], functions: [], calls: [], newExpressions: [], elementAccesses: [], assignments: [], workerConstructions: [], isWorkerFile: false };
  const suspending = new Set<FunctionNode>();
  walkIteratively(sourceFile, (node) => {
    switch (node.kind) {
      case ts.SyntaxKind.AwaitExpression:
      case ts.SyntaxKind.YieldExpression:
      case ts.SyntaxKind.ForOfStatement: {
        if (ts.isForOfStatement(node) && !node.awaitModifier) break;
        const fn = nearestFunction(node);
        if (fn && isAsyncFunction(fn) && !suspending.has(fn)) {
          suspending.add(fn);
          facts.asyncFunctions.push(fn);
        }
        break;
      }
      case ts.SyntaxKind.CallExpression:
        facts.calls.push(node as ts.CallExpression);
        break;
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
  return facts;
}

/** Both modes end here; the oracle is what differs. */
export function analyzeSourceFile(sourceFile: ts.SourceFile, path: string, oracle: TypeOracle): TsFileSummary {
  const text = sourceFile.text;
  // With types, a view of shared memory can hide behind an alias that names none of these words.
  const wantsSharedMemory = oracle !== syntaxOnlyOracle || SHARED_MEMORY.test(text);
  const facts = collectFacts(sourceFile, wantsSharedMemory);
  const sink = new FindingSink(path, sourceFile);
  const scope = new ScopeIndex(sourceFile);
  if (facts.asyncFunctions.length > 0) {
    const evidence = new EvidenceIndex(sourceFile, facts.asyncFunctions, facts.calls, facts.newExpressions);
    for (const fn of facts.asyncFunctions) {
      analyzeAsyncFunction({ fn, scope, evidence: evidence.evidenceFor(fn), sink, sourceFile });
    }
  }
  checkCallbackResourceRaces(facts.calls, sink);
  if (wantsSharedMemory) checkSharedMemory(facts, sink, oracle);
  let lockEdges: LockOrderEdge[] = [];
  if (LOCKS.test(text)) {
    const locks = new LockAnalysis(facts, sink, oracle);
    locks.run();
    lockEdges = locks.edges;
  }
  return { path, findings: sink.findings, lockEdges };
}
