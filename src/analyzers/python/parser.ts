import { existsSync } from 'node:fs';
import path from 'node:path';
import { Language, Parser, type Tree, type TreeCursor } from 'web-tree-sitter';
import { markThreadUnusable, noteAboutCurrentFile, threadUnusable, UnanalyzableFileError } from '../analyzer-signals';

/**
 * A compact, plain-JavaScript copy of the tree-sitter tree. The analysis walks it many times
 * (scopes, locks, awaits), and every property read on a web-tree-sitter node crosses into
 * WebAssembly, so one cursor walk copies what the rules need and the wasm tree is freed at once.
 */
export interface PyNode {
  type: string;
  /** Field name in the parent (`left`, `body`, …), or '' when the child has none. */
  field: string;
  /** UTF-16 offsets into the source text (lines and columns come from `LineIndex`). */
  start: number;
  end: number;
  children: PyNode[];
  parent: PyNode | null;
}

const MiB = 1024 * 1024;
const WASM_PAGE_BYTES = 64 * 1024;
/** web-tree-sitter's own ceiling for its memory (its getHeapMax), and its initial size. */
const TREE_SITTER_MAX_BYTES = 2048 * MiB;
const TREE_SITTER_INITIAL_BYTES = 32 * MiB;

/**
 * The parser's WebAssembly memory, in bytes: web-tree-sitter's ceiling unless
 * CONCLENS_PARSER_MEMORY_MB lowers it (machines short of memory; tests that need the limit
 * reached without parsing gigabytes).
 */
function parserMemoryLimit(): number {
  const asked = Number(process.env.CONCLENS_PARSER_MEMORY_MB);
  if (!Number.isFinite(asked) || asked <= 0) return TREE_SITTER_MAX_BYTES;
  return Math.min(TREE_SITTER_MAX_BYTES, Math.max(TREE_SITTER_INITIAL_BYTES, Math.floor(asked) * MiB));
}

interface ParserState {
  parser: Parser;
  /** Ours rather than web-tree-sitter's, so a parse can watch it grow. */
  memory: WebAssembly.Memory;
  limit: number;
}

let parserPromise: Promise<ParserState> | undefined;

/** Prefer the copy next to the bundle (dist/), then the installed package file. */
function locateWasm(fileName: string, packageFile: string): string {
  const besideBundle = typeof __dirname === 'string' ? path.join(__dirname, fileName) : '';
  if (besideBundle && existsSync(besideBundle)) return besideBundle;
  return require.resolve(packageFile);
}

async function createParser(): Promise<ParserState> {
  const limit = parserMemoryLimit();
  const memory = new WebAssembly.Memory({ initial: TREE_SITTER_INITIAL_BYTES / WASM_PAGE_BYTES, maximum: limit / WASM_PAGE_BYTES });
  await Parser.init({
    locateFile: () => locateWasm('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm'),
    wasmMemory: memory,
    // After an abort the module cannot be used again on this thread; the engine moves on to a
    // fresh one. Its raw "Aborted()" line would only reach the user's terminal unexplained.
    onAbort: () => markThreadUnusable('the Python parser (tree-sitter) aborted'),
    printErr: () => undefined,
  });
  const language = await Language.load(
    locateWasm('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'),
  );
  const parser = new Parser();
  parser.setLanguage(language);
  return { parser, memory, limit };
}

/** One parser per thread, created on first use and reused for every file. */
function getParser(): Promise<ParserState> {
  parserPromise ??= createParser();
  return parserPromise;
}

const formatMiB = (bytes: number): string => `${Math.round(bytes / MiB)} MB`;

/**
 * Parses with a memory budget. When tree-sitter's memory cannot grow any more, its malloc
 * aborts the whole WebAssembly module (a 10 MB file of `a;a;…` needs more than 2 GB), so a parse
 * is cancelled once the memory passes half the limit: the file gets a notice and the parser
 * stays usable. Memory never shrinks, so after a large file the budget is what the thread
 * already holds, never more; the other half is the headroom that keeps the next parse clear of
 * the ceiling. Ordinary code needs far less: 10 MB of real modules parse in about 400 MB.
 */
async function parseWithinBudget(text: string): Promise<Tree> {
  const unusable = threadUnusable();
  if (unusable) throw new UnanalyzableFileError(`${unusable} on an earlier file of this thread`);
  const { parser, memory, limit } = await getParser();
  const budget = Math.max(limit / 2, memory.buffer.byteLength);
  let tree: Tree | null;
  try {
    tree = parser.parse(text, null, { progressCallback: () => memory.buffer.byteLength > budget });
  } catch (error) {
    if (threadUnusable()) throw new UnanalyzableFileError('the Python parser (tree-sitter) aborted on this file');
    throw error;
  }
  if (!tree) {
    parser.reset();
    throw new UnanalyzableFileError(`parsing it needs more than ${formatMiB(limit / 2)} of parser memory`);
  }
  return tree;
}

/**
 * Subtrees whose content the analysis never looks at: copying them would only cost time.
 * Strings are kept for the expressions inside f-string interpolations.
 */
const OPAQUE = new Set(['comment', 'integer', 'float', 'decorator', 'type', 'dotted_name']);

/** Named nodes never looked at: the pieces of a string around its interpolations. */
const DROPPED = new Set(['string_start', 'string_content', 'string_end', 'escape_sequence', 'escape_interpolation', 'comment']);

/**
 * Anonymous tokens the rules read (operators of comparisons and augmented assignments, the
 * `async` keyword); all other punctuation is dropped to keep the copy small.
 */
const KEPT_TOKENS = new Set([
  'async', 'not', 'in', 'is', 'not in', 'is not', '==', '!=', '<', '>', '<=', '>=',
  '+=', '-=', '*=', '/=', '//=', '%=', '**=', '@=', '&=', '|=', '^=', '>>=', '<<=',
]);

/**
 * Kept node types that never have children: the walk does not ask the parser for a first
 * child (one WebAssembly call less for each identifier, a third of all kept nodes).
 */
const LEAVES = new Set(['identifier', 'none', 'true', 'false', 'ellipsis']);

/**
 * Frequent parent types whose grammar rules have no fields (tree-sitter-python's
 * node-types.json): their children's field is '' without asking the parser.
 */
const FIELDLESS_PARENTS = new Set([
  'module', 'expression_statement', 'argument_list', 'parameters', 'return_statement', 'expression_list',
  'parenthesized_expression', 'list', 'tuple', 'set', 'dictionary', 'pattern_list', 'tuple_pattern', 'list_pattern',
  'list_splat', 'dictionary_splat', 'concatenated_string', 'delete_statement', 'global_statement', 'nonlocal_statement',
  'assert_statement', 'await', 'conditional_expression', 'decorator', 'with_clause', 'yield', 'lambda_parameters',
]);

/**
 * Nodes that open a function or class scope. The analysis names each scope after every scope
 * around it, so n nested lambdas cost n²/2 name segments: 10,000 of them took 1 GB, 50,000
 * exhausted V8's heap. Beyond MAX_SCOPE_NESTING the tree keeps the scope node without its
 * contents, which keeps memory linear in the file's size; real code nests 7 deep at most (15,000
 * modules of the standard library and site-packages), and CPython itself refuses more than 100
 * levels of indentation.
 */
const SCOPE_NODES = new Set(['function_definition', 'lambda', 'class_definition']);
export const MAX_SCOPE_NESTING = 32;

interface TypeTable {
  names: string[];
  string: boolean[];
  scope: boolean[];
  keep: boolean[];
  /** The walk does not descend: opaque subtrees and childless types. */
  opaque: boolean[];
  fieldless: boolean[];
  fields: string[];
}

let typeTable: TypeTable | undefined;

function buildTypeTable(language: Language): TypeTable {
  const names: string[] = [];
  const keep: boolean[] = [];
  const opaque: boolean[] = [];
  for (let id = 0; id < language.nodeTypeCount; id++) {
    const name = language.nodeTypeForId(id) ?? '';
    names.push(name);
    keep.push(name !== 'ERROR' && !DROPPED.has(name) && (language.nodeTypeIsNamed(id) || KEPT_TOKENS.has(name)));
    opaque.push(OPAQUE.has(name) || LEAVES.has(name) || (KEPT_TOKENS.has(name) && !name.includes(' ')));
  }
  const fields: string[] = [''];
  for (let id = 1; id <= language.fieldCount; id++) fields.push(language.fieldNameForId(id) ?? '');
  return {
    names,
    keep,
    opaque,
    fields,
    string: names.map((n) => n === 'string'),
    scope: names.map((n) => SCOPE_NODES.has(n)),
    fieldless: names.map((n) => FIELDLESS_PARENTS.has(n)),
  };
}

/**
 * Parses `text` and returns the root of the compact tree. ERROR subtrees are dropped so the
 * rules only see code that parsed; the walk is iterative, so nesting depth cannot overflow the
 * JavaScript stack. Scopes nested deeper than MAX_SCOPE_NESTING are kept empty, with a note.
 */
export async function parsePython(text: string): Promise<PyNode> {
  const tree = await parseWithinBudget(text);
  typeTable ??= buildTypeTable(tree.language);
  const cursor = tree.walk();
  try {
    const { root, cutAt } = copyTree(cursor, typeTable, text);
    if (cutAt !== undefined) {
      noteAboutCurrentFile(
        `functions, lambdas and classes nested deeper than ${MAX_SCOPE_NESTING} levels at line ${lineAt(text, cutAt)}: analyzed to depth ${MAX_SCOPE_NESTING}`,
      );
    }
    return root;
  } finally {
    cursor.delete();
    tree.delete();
  }
}

/**
 * The raw tree-sitter tree, for read-only callers outside the analysis (the editor checking a
 * tasks expression as it is typed), parsed within the same memory budget. The caller deletes it.
 */
export function parsePythonSyntaxTree(text: string): Promise<Tree> {
  return parseWithinBudget(text);
}

/** The [start, end) UTF-16 offsets of every comment, in source order (what tree-sitter calls a comment). */
export async function pythonCommentSpans(text: string): Promise<[number, number][]> {
  const tree = await parseWithinBudget(text);
  const cursor = tree.walk();
  const spans: [number, number][] = [];
  try {
    for (;;) {
      if (cursor.nodeType === 'comment') spans.push([cursor.startIndex, cursor.endIndex]);
      if (cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return spans;
    }
  } finally {
    cursor.delete();
    tree.delete();
  }
}

/** One-based line of a UTF-16 offset (LF, CRLF and CR end a line, as in countLines). */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) line++;
  }
  return line;
}

/** Only f-strings have expressions inside; other strings (docstrings) are not descended into. */
function isFString(text: string, start: number): boolean {
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x66 || ch === 0x46) return true; // f, F
    if (ch === 0x22 || ch === 0x27) return false; // the opening quote
  }
  return false;
}

function copyTree(cursor: TreeCursor, table: TypeTable, text: string): { root: PyNode; cutAt?: number } {
  const root = makeNode(cursor, cursor.nodeTypeId, '', table, null);
  let currentFieldless = table.fieldless[cursor.nodeTypeId] ?? false;
  let current = root;
  /** Scope nodes among `current` and its ancestors. */
  let scopes = 0;
  let cutAt: number | undefined;
  if (!cursor.gotoFirstChild()) return { root };
  for (;;) {
    const typeId = cursor.nodeTypeId;
    let descended = false;
    if (table.keep[typeId]) {
      const field = currentFieldless ? '' : (table.fields[cursor.currentFieldId] ?? '');
      const node = makeNode(cursor, typeId, field, table, current);
      if (current.children === NO_CHILDREN) current.children = [node];
      else current.children.push(node);
      const tooDeep = table.scope[typeId] && scopes >= MAX_SCOPE_NESTING;
      if (tooDeep) cutAt ??= node.start;
      if (!tooDeep && !table.opaque[typeId] && (!table.string[typeId] || isFString(text, node.start)) && cursor.gotoFirstChild()) {
        current = node;
        currentFieldless = table.fieldless[typeId] ?? false;
        if (table.scope[typeId]) scopes++;
        descended = true;
      }
    }
    if (descended) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || current.parent === null) return { root, cutAt };
      if (SCOPE_NODES.has(current.type)) scopes--;
      current = current.parent;
      currentFieldless = FIELDLESS_PARENTS.has(current.type);
    }
  }
}

/** Shared by all leaves (most nodes): one array less per identifier. Frozen, so a push would throw. */
const NO_CHILDREN: PyNode[] = Object.freeze([]) as unknown as PyNode[];

function makeNode(cursor: TreeCursor, typeId: number, field: string, table: TypeTable, parent: PyNode | null): PyNode {
  return {
    type: table.names[typeId] ?? '',
    field,
    start: cursor.startIndex,
    end: cursor.endIndex,
    children: NO_CHILDREN,
    parent,
  };
}
