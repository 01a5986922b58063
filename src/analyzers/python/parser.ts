import { existsSync } from 'node:fs';
import path from 'node:path';
import { Language, Parser, type TreeCursor } from 'web-tree-sitter';

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

let parserPromise: Promise<Parser> | undefined;

/** Prefer the copy next to the bundle (dist/), then the installed package file. */
function locateWasm(fileName: string, packageFile: string): string {
  const besideBundle = typeof __dirname === 'string' ? path.join(__dirname, fileName) : '';
  if (besideBundle && existsSync(besideBundle)) return besideBundle;
  return require.resolve(packageFile);
}

async function createParser(): Promise<Parser> {
  await Parser.init({
    locateFile: () => locateWasm('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm'),
  });
  const language = await Language.load(
    locateWasm('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'),
  );
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** One parser per thread, created on first use and reused for every file. */
export function getParser(): Promise<Parser> {
  parserPromise ??= createParser();
  return parserPromise;
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

interface TypeTable {
  names: string[];
  string: boolean[];
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
  return { names, keep, opaque, fields, string: names.map((n) => n === 'string'), fieldless: names.map((n) => FIELDLESS_PARENTS.has(n)) };
}

/**
 * Parses `text` and returns the root of the compact tree. ERROR subtrees are dropped so the
 * rules only see code that parsed; the walk is iterative, so nesting depth cannot overflow the
 * JavaScript stack.
 */
export async function parsePython(text: string): Promise<PyNode> {
  const parser = await getParser();
  const tree = parser.parse(text);
  if (!tree) throw new Error('tree-sitter returned no tree');
  typeTable ??= buildTypeTable(tree.language);
  const cursor = tree.walk();
  try {
    return copyTree(cursor, typeTable, text);
  } finally {
    cursor.delete();
    tree.delete();
  }
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

function copyTree(cursor: TreeCursor, table: TypeTable, text: string): PyNode {
  const root = makeNode(cursor, cursor.nodeTypeId, '', table, null);
  let currentFieldless = table.fieldless[cursor.nodeTypeId] ?? false;
  let current = root;
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const typeId = cursor.nodeTypeId;
    let descended = false;
    if (table.keep[typeId]) {
      const field = currentFieldless ? '' : (table.fields[cursor.currentFieldId] ?? '');
      const node = makeNode(cursor, typeId, field, table, current);
      if (current.children === NO_CHILDREN) current.children = [node];
      else current.children.push(node);
      if (!table.opaque[typeId] && (!table.string[typeId] || isFString(text, node.start)) && cursor.gotoFirstChild()) {
        current = node;
        currentFieldless = table.fieldless[typeId] ?? false;
        descended = true;
      }
    }
    if (descended) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent() || current.parent === null) return root;
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
