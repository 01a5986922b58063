import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { findProjectConfig, typescriptAnalyzer } from '../../../src/analyzers/typescript/index';
import type { SourceFile } from '../../../src/analyzers/language';
import { analyze } from './helpers';

const project = path.resolve('test/fixtures/typescript/typed-project');
const configPath = path.join(project, 'tsconfig.json');
const load = (relative: string): SourceFile => {
  const file = path.join(project, relative);
  return { path: file, text: readFileSync(file, 'utf8') };
};
const sources = ['src/counter.ts', 'src/store.ts', 'src/prompt.ts'].map(load);
const summary = (findings: { ruleId: string; file: string; range: { start: { line: number } } }[]): string[] =>
  findings.map((f) => `${path.basename(f.file)}:${f.range.start.line + 1}:${f.ruleId}`).sort();

void describe('type-aware mode (Program + type checker)', () => {
  void it('sees a SharedArrayBuffer view behind a type alias from another module', () => {
    const files = ['src/shared-view.ts', 'src/tally.ts'].map(load);
    assert.deepEqual(summary(typescriptAnalyzer.checkProject(files, configPath)), ['tally.ts:4:JS-SAB-001']);
  });

  void it('finds the tsconfig that covers a file', () => {
    assert.equal(findProjectConfig(path.join(project, 'src/store.ts')), configPath);
  });

  void it('uses types to see a SharedArrayBuffer view, an async-mutex and a Thenable', () => {
    const findings = typescriptAnalyzer.checkProject(sources, configPath);
    assert.deepEqual(summary(findings), ['counter.ts:3:JS-SAB-001', 'store.ts:10:JS-LOCK-004', 'store.ts:15:JS-LOCK-004']);
    const release = findings.find((f) => f.range.start.line === 9)!;
    assert.equal(release.fixes[0]?.title, 'Move release into finally');
  });

  void it('syntax-only mode stays silent where only types could tell', async () => {
    const findings = await analyze(Object.fromEntries(sources.map((s) => [s.path, s.text])));
    assert.deepEqual(findings, []);
  });

  void it('analyzes files outside the configuration in syntax-only mode in the same call', () => {
    const outside: SourceFile = { path: path.join(project, 'outside.ts'), text: 'let n = 0;\nexport async function f() { n += await g(); }\n' };
    const findings = typescriptAnalyzer.checkProject([...sources, outside], configPath);
    assert.ok(findings.some((f) => f.file === outside.path && f.ruleId === 'JS-ASYNC-001'));
  });

  void it('prefers the given text over the file on disk (unsaved editor buffers)', () => {
    const edited = { ...sources[0], text: 'export function bump(view: Int32Array<SharedArrayBuffer>): void {\n  Atomics.add(view, 0, 1);\n}\n' };
    const findings = typescriptAnalyzer.checkProject([edited], configPath);
    assert.deepEqual(findings, []);
  });

  void it('reads JSDoc types through a jsconfig.json (allowJs implied)', () => {
    const jsProject = path.resolve('test/fixtures/typescript/js-project');
    const counter = path.join(jsProject, 'counter.js');
    const findings = typescriptAnalyzer.checkProject([{ path: counter, text: readFileSync(counter, 'utf8') }], path.join(jsProject, 'jsconfig.json'));
    assert.deepEqual(summary(findings), ['counter.js:5:JS-SAB-001']);
    assert.equal(findings[0].fixes[0].edits[0].newText, 'Atomics.add(view, 0, 1)');
  });

  void it('reports an unreadable configuration clearly', () => {
    assert.throws(() => typescriptAnalyzer.checkProject(sources, path.join(project, 'missing.json')), /missing\.json/);
  });
});
