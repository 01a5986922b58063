import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import ts from 'typescript';
import type { Finding } from '../../../src/shared/findings';
import { analyze } from './helpers';

/** Applies the edits of a finding's first fix to `code` (single-file, non-overlapping edits). */
function applyFix(code: string, finding: Finding): string {
  const [fix] = finding.fixes;
  assert.ok(fix, `a fix is offered for: ${finding.message}`);
  const offset = (line: number, character: number) => code.split('\n').slice(0, line).reduce((n, l) => n + l.length + 1, 0) + character;
  const edits = [...fix.edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
  let fixed = code;
  for (const edit of edits) {
    fixed = fixed.slice(0, offset(edit.range.start.line, edit.range.start.character)) + edit.newText + fixed.slice(offset(edit.range.end.line, edit.range.end.character));
  }
  return fixed;
}

function syntaxErrors(code: string, fileName: string): string[] {
  const output = ts.transpileModule(code, { fileName, reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  return (output.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

interface Outcome {
  connects: number;
  results: unknown[];
}

/**
 * Runs the module with a `connect` that fails on its first call and then succeeds slowly:
 * three concurrent `get()` calls, then three more after the failure has settled.
 */
async function exercise(code: string, fileName: string): Promise<Outcome> {
  const js = ts.transpileModule(code, { fileName, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const state = { connects: 0 };
  const connect = async () => {
    const attempt = ++state.connects;
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (attempt === 1) throw new Error('first connect fails');
    return { id: attempt };
  };
  const module = { exports: {} as { get: () => Promise<unknown> } };
  vm.runInNewContext(js, { module, exports: module.exports, connect, setTimeout });
  const settle = (p: Promise<unknown>) => p.then((v) => v, (e: Error) => `rejected: ${e.message}`);
  const first = await Promise.all([module.exports.get(), module.exports.get(), module.exports.get()].map(settle));
  const second = await Promise.all([module.exports.get(), module.exports.get(), module.exports.get()].map(settle));
  return { connects: state.connects, results: [...first, ...second] };
}

const cases = [
  {
    name: 'an untyped `let` in JavaScript',
    file: '/work/client.js',
    code: `let client;
async function get() {
  if (!client) client = await connect();
  return client;
}
module.exports = { get };
`,
  },
  {
    name: 'an untyped `let` in TypeScript',
    file: '/work/client.ts',
    code: `declare function connect(): Promise<{ id: number }>;
let client;
export async function get() {
  if (!client) {
    client = await connect();
  }
  return client;
}
`,
  },
];

void describe('"Cache the promise instead of the awaited value" (JS-ASYNC-002 quick fix)', () => {
  for (const { name, file, code } of cases) {
    void it(`fixes the race for ${name}: the finding goes, the code parses, callers share one connect and a failure is retried`, async () => {
      const before = (await analyze(code, file)).filter((f) => f.ruleId === 'JS-ASYNC-002');
      assert.equal(before.length, 1, 'the race is reported');
      const fixed = applyFix(code, before[0]);
      assert.match(fixed, /client = connect\(\)\.catch\(\(error\) => \{ client = undefined; throw error; \}\)/);
      assert.deepEqual(syntaxErrors(fixed, file), []);
      assert.deepEqual((await analyze(fixed, file)).filter((f) => f.ruleId === 'JS-ASYNC-002'), [], 'no finding after the fix');

      const original = await exercise(code, file);
      const after = await exercise(fixed, file);
      // Before: every concurrent caller of the first burst connects. After: one connect per burst,
      // and the failed one is not cached forever (the second burst connects again, and succeeds).
      assert.equal(original.connects, 3);
      assert.equal(after.connects, 2);
      assert.deepEqual(after.results, ['rejected: first connect fails', 'rejected: first connect fails', 'rejected: first connect fails', { id: 2 }, { id: 2 }, { id: 2 }]);
    });
  }

  void it('is not offered when a declared type cannot hold the promise', async () => {
    const findings = await analyze(`interface Client { id: number }
declare function connect(): Promise<Client>;
let client: Client | undefined;
export async function get() { if (!client) client = await connect(); return client; }`);
    assert.deepEqual(findings.map((f) => f.ruleId), ['JS-ASYNC-002']);
    assert.deepEqual(findings[0].fixes, []);
  });

  void it('is offered for a class field typed to hold the promise, and not for one that reads the value synchronously', async () => {
    const typed = await analyze(`export class Db {
  client?: Promise<Client> | Client;
  async get() { if (!this.client) this.client = await connect(); return this.client; }
}`);
    assert.equal(typed[0]?.fixes[0]?.title, 'Cache the promise instead of the awaited value');
    const synchronousUse = await analyze(`export class Db {
  client;
  async get() { if (!this.client) this.client = await connect(); return this.client; }
  name() { return this.client.name; }
}`, '/work/db.js');
    assert.deepEqual(synchronousUse.map((f) => f.ruleId), ['JS-ASYNC-002']);
    assert.deepEqual(synchronousUse[0].fixes, []);
  });

  void it('is not offered when a non-async function returns the slot (its callers would get a promise)', async () => {
    const findings = await analyze(`let client;
export async function get() { if (!client) client = await connect(); return client; }
export function peek() { return client; }`, '/work/peek.js');
    assert.deepEqual(findings[0].fixes, []);
  });
});
