import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pythonAnalyzer, type PythonModuleSummary } from '../../../src/analyzers/python/index';

/** mulberry32: a tiny deterministic PRNG, so a failing mutation can be replayed by its index. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pythonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return pythonFiles(full);
    return entry.name.endsWith('.py') ? [full] : [];
  });
}

const SEED = 0x5eed_c0de;
const MUTATIONS = 1000;
// Characters that change Python's structure the most when they appear in the wrong place.
const NASTY = ['(', ')', '[', ']', ':', '\n', '\t', ' ', '"', "'", '#', '\\', '=', '+=', 'await ', 'with ', 'lock', '\u00e9', '\ud800', '\0'];

function mutate(text: string, other: string, random: () => number): string {
  const at = () => Math.floor(random() * (text.length + 1));
  const span = () => Math.floor(random() * 200);
  switch (Math.floor(random() * 4)) {
    case 0: {
      const i = at();
      return text.slice(0, i) + NASTY[Math.floor(random() * NASTY.length)] + text.slice(i + 1);
    }
    case 1: {
      const i = at();
      return text.slice(0, i) + text.slice(i + span());
    }
    case 2: {
      const i = at();
      const piece = text.slice(i, i + span());
      return text.slice(0, i) + piece + piece + text.slice(i);
    }
    default: {
      const lines = text.split('\n');
      const donor = other.split('\n');
      const from = Math.floor(random() * donor.length);
      const taken = donor.slice(from, from + 1 + Math.floor(random() * 10));
      lines.splice(Math.floor(random() * (lines.length + 1)), Math.floor(random() * 3), ...taken);
      return lines.join('\n');
    }
  }
}

void test(`${MUTATIONS} seeded mutations of the Python fixtures never make the analyzer throw`, async () => {
  const sources = [...pythonFiles(path.resolve('test/fixtures')), ...pythonFiles(path.resolve('examples'))].map((file) => ({
    file,
    text: readFileSync(file, 'utf8'),
  }));
  assert.ok(sources.length >= 2, 'fixtures to mutate');
  const random = prng(SEED);
  const failures: string[] = [];
  const summaries: PythonModuleSummary[] = [];
  const started = performance.now();
  for (let index = 0; index < MUTATIONS; index++) {
    const source = sources[Math.floor(random() * sources.length)];
    let text = source.text;
    const rounds = 1 + Math.floor(random() * 4);
    for (let r = 0; r < rounds; r++) text = mutate(text, sources[Math.floor(random() * sources.length)].text, random);
    const file = `/fuzz/m${index}.py`;
    try {
      const summary = await pythonAnalyzer.summarize({ path: file, text });
      structuredClone(summary);
      pythonAnalyzer.check([summary]);
      summaries.push(summary);
    } catch (error) {
      failures.push(`mutation ${index} of ${path.basename(source.file)}: ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
    }
  }
  try {
    pythonAnalyzer.check(summaries);
  } catch (error) {
    failures.push(`cross-file check over all mutations: ${(error as Error).message}`);
  }
  console.log(`hostile inputs (fuzzed Python, ${sources.length} files mutated): ${MUTATIONS} cases tried, ${failures.length} lost, ${(performance.now() - started).toFixed(0)} ms`);
  assert.deepEqual(failures.slice(0, 5), []);
});
