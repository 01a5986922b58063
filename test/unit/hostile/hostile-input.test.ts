import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzePaths } from '../../../src/analyzers/engine';
import type { AnalysisResult } from '../../../src/shared/findings';
import { RACE_FIXTURE, RACE_LINE } from '../engine/helpers';
import { hostileCases } from './tally';
import { hostileWorkspace } from './workspace';

const hostile = hostileCases('source files');

const race = readFileSync(RACE_FIXTURE, 'utf8');

/** Every kind of input an editor or a repository throws at the engine, in one workspace. */
function sourcesWorkspace(): string {
  const bigFunction = (i: number) => `def handler_${i}(request, cache):\n    key = request.key\n    if key not in cache:\n        cache[key] = compute(key)\n    return cache[key]\n\n\n`;
  let big = 'import threading\n\n';
  for (let i = 0; big.length < 5 * 1024 * 1024; i++) big += bigFunction(i);
  return hostileWorkspace({
    'syntax_error.py': `${race}\ndef broken(:\n    return ]\nclass\n`,
    'invalid_utf8.py': Buffer.concat([Buffer.from('# caf\xe9 in Latin-1: '), Buffer.from([0xe9, 0xff, 0xc3]), Buffer.from(`\n${race}`)]),
    'binary.py': Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]),
    'big.py': big,
    'parens.py': `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`,
    'nested.py': Array.from({ length: 400 }, (_, depth) => `${' '.repeat(depth * 4)}if x${depth}:`).join('\n') + `\n${' '.repeat(400 * 4)}pass\n`,
    'empty.py': '',
    'crlf.py': race.replace(/\n/g, '\r\n'),
    'tabs.py': race.replace(/^( {4})+/gm, (indent) => '\t'.repeat(indent.length / 4)),
    'unicode.py': race.replace(/\bhits\b/g, 'zählerstand_π'),
  });
}

function byFile(result: AnalysisResult, name: string) {
  return {
    findings: result.findings.filter((f) => path.basename(f.file) === name),
    notices: result.notices.filter((n) => path.basename(n.file) === name),
  };
}

for (const workers of [0, 2]) {
  hostile(`syntax errors, bad bytes, a binary, 5 MB, deep parentheses and blocks: at most one notice each (workers: ${workers})`, async () => {
    const root = sourcesWorkspace();
    const started = performance.now();
    const result = await analyzePaths(['.'], { config: { rules: {}, exclude: [] }, root, workers });
    const ms = performance.now() - started;
    console.log(`hostile workspace, ${workers} workers: ${result.files} files, ${result.lines} lines, ${ms.toFixed(0)} ms`);
    for (const notice of result.notices) console.log(`  notice ${path.basename(notice.file)}: ${notice.message}`);

    assert.equal(result.files, 10);
    const noticed = result.notices.map((n) => path.basename(n.file));
    assert.equal(new Set(noticed).size, noticed.length, 'one notice per file at most');
    assert.match(byFile(result, 'binary.py').notices[0]?.message ?? '', /binary content/);
    for (const name of ['syntax_error.py', 'invalid_utf8.py', 'big.py', 'empty.py', 'crlf.py', 'tabs.py', 'unicode.py']) {
      assert.deepEqual(byFile(result, name).notices, [], `${name} is analyzed`);
    }
    // The race survives broken neighbours, bad bytes, CRLF, tabs and non-ASCII names.
    for (const name of ['syntax_error.py', 'invalid_utf8.py', 'crlf.py', 'tabs.py', 'unicode.py']) {
      const races = byFile(result, name).findings.filter((f) => f.ruleId === 'PY-RACE-001');
      assert.equal(races.length, 1, `${name}: ${JSON.stringify(byFile(result, name).findings.map((f) => f.ruleId))}`);
      const expectedLine = name === 'invalid_utf8.py' ? RACE_LINE + 1 : RACE_LINE;
      assert.equal(races[0].range.start.line, expectedLine, name);
    }
  });
}
