import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { typescriptAnalyzer } from '../../../src/analyzers/typescript/index';
import { analyze, ruleIds } from './helpers';

const LOST_UPDATE = 'let n = 0;\nexport async function bump() { n = n + await step(); }\n';

/**
 * A loose ceiling that catches a blow-up (quadratic walks, backtracking) without turning a
 * busy CI machine into a failure; speed itself is measured by the benchmark script.
 */
const CEILING_MS = 120_000;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

void describe('hostile JS/TS input', () => {
  void it('analyzes what parses around syntax errors and never throws', async () => {
    const findings = await analyze(`${LOST_UPDATE}\nfunction broken( { if (x > ) return ]]]\nconst = ;\n`);
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-001']);
  });

  void it('handles a 5 MB file in bounded time', async () => {
    const block = 'export async function f_I(a) { const v = a.b + 1; for (const x of a.list) { await g(x, v); } return v; }\n';
    let text = '';
    for (let i = 0; text.length < 5 * 1024 * 1024; i++) text += block.replace('_I', `_${i}`);
    const { value, ms } = await timed(() => analyze(text + LOST_UPDATE, '/work/huge.js'));
    assert.deepEqual(ruleIds(value), ['JS-ASYNC-001']);
    assert.ok(ms < CEILING_MS, `took ${ms} ms`);
  });

  void it('walks a 20,000-deep expression tree without overflowing the stack', async () => {
    const chain = Array.from({ length: 20000 }, () => 'a').join(' + ');
    const findings = await analyze(`let a = 1;\nexport async function deep() { a = a + (await step()) + ${chain}; }\n${LOST_UPDATE}`);
    // The over-deep function is skipped (no findings from it); the rest of the file is analyzed.
    assert.deepEqual(ruleIds(findings), ['JS-ASYNC-001']);
    assert.equal(findings[0].range.start.line, 3);
  });

  void it('turns expressions nested 5,000 deep (beyond the parser) into a clear error, not a crash', async () => {
    const text = `const x = ${'('.repeat(5000)}1${')'.repeat(5000)};\nexport async function f() { await g(); }\n`;
    const { ms } = await timed(async () => {
      await assert.rejects(typescriptAnalyzer.summarize({ path: '/work/nested.ts', text }), (error: Error) => {
        assert.ok(!(error instanceof RangeError), 'not a raw stack overflow');
        assert.match(error.message, /nested too deeply/);
        return true;
      });
    });
    assert.ok(ms < CEILING_MS, `took ${ms} ms`);
  });

  void it('handles a minified bundle: one 1 MB line', async () => {
    const unit = 'function a(b){return b&&b.c?b.c(1):null}var d=0;async function e(f){d=d+await f()}';
    let text = '';
    while (text.length < 1024 * 1024) text += unit + ';';
    text += 'module.exports={e};';
    const { value, ms } = await timed(() => analyze(text, '/work/bundle.min.js'));
    assert.ok(value.length >= 1, 'the lost update in the exported function is still found');
    assert.ok(value.every((f) => f.message.length < 1200), 'messages quote code briefly');
    assert.ok(ms < CEILING_MS, `took ${ms} ms`);
  });

  void it('parses JSX and TSX', async () => {
    const jsx = `let clicks = 0;\nexport async function onClick() { clicks = clicks + await weight(); }\nexport const Button = () => <button onClick={onClick}>{clicks}</button>;\n`;
    assert.deepEqual(ruleIds(await analyze(jsx, '/work/button.jsx')), ['JS-ASYNC-001']);
    assert.deepEqual(ruleIds(await analyze(jsx.replace('() =>', '(): JSX.Element =>'), '/work/button.tsx')), ['JS-ASYNC-001']);
  });

  void it('yields nothing for declaration files', async () => {
    assert.deepEqual(await analyze(`declare let n: number;\nexport declare function bump(): Promise<void>;\n${LOST_UPDATE}`, '/work/types.d.ts'), []);
  });

  void it('handles empty, binary-looking and comment-only files', async () => {
    assert.deepEqual(await analyze('', '/work/empty.ts'), []);
    assert.deepEqual(await analyze('\u0000\u0001\u0002await\uFFFD\uD800', '/work/odd.js'), []);
    assert.deepEqual(await analyze('// await everything\n/* yield */', '/work/comments.mjs'), []);
  });
});
