// The timeline's contributed colours, checked as a reader with a colour vision deficiency sees
// them: each task state (and the lock-hold mark that shares the lock band with lock waits)
// stays distinct from every other one in every theme kind. Dichromacy is simulated with the
// matrices of Machado, Oliveira and Fernandes (2009) at full severity, in linear RGB; distance
// is CIE76 ΔE in d3's CIELAB.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { lab, rgb } from 'd3';

const REPO = path.resolve(__dirname, '../../..');

type Matrix = [number, number, number][];
const VISION: Record<string, Matrix> = {
  normal: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protanopia: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deuteranopia: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritanopia: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

const toLinear = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
const toGamma = (c: number) => 255 * (Math.min(1, Math.max(0, c)) <= 0.0031308 ? 12.92 * Math.max(0, c) : 1.055 * Math.min(1, c) ** (1 / 2.4) - 0.055);

function seenAs(hex: string, matrix: Matrix): string {
  const c = rgb(hex);
  const v = [toLinear(c.r), toLinear(c.g), toLinear(c.b)];
  const [r, g, b] = matrix.map(([x, y, z]) => toGamma(x * v[0]! + y * v[1]! + z * v[2]!));
  return rgb(r!, g!, b!).formatHex();
}

function deltaE(a: string, b: string): number {
  const x = lab(a);
  const y = lab(b);
  return Math.hypot(x.l - y.l, x.a - y.a, x.b - y.b);
}

interface Contributed {
  id: string;
  defaults: Record<'dark' | 'light' | 'highContrast' | 'highContrastLight', string>;
}

const colours: Contributed[] = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).contributes.colors;
const byName = new Map(colours.map((c) => [c.id.replace('concurrencyLens.timeline.', ''), c.defaults]));
const COMPARED = ['running', 'runqueue', 'gilWait', 'lockWait', 'io', 'blocked', 'lockHold', 'loopBusy', 'schedulerWait', 'transfer', 'gc', 'serialization'];

void test('task states are told apart in every theme kind, also with protanopia, deuteranopia and tritanopia', () => {
  const close: string[] = [];
  for (const theme of ['dark', 'light', 'highContrast', 'highContrastLight'] as const) {
    for (const [vision, matrix] of Object.entries(VISION)) {
      const least = vision === 'normal' ? 20 : 11;
      for (let i = 0; i < COMPARED.length; i++) {
        for (let j = i + 1; j < COMPARED.length; j++) {
          const a = byName.get(COMPARED[i]!)![theme];
          const b = byName.get(COMPARED[j]!)![theme];
          const distance = deltaE(seenAs(a, matrix), seenAs(b, matrix));
          if (distance < least) close.push(`${theme}, ${vision}: ${COMPARED[i]} ${a} and ${COMPARED[j]} ${b} are ΔE ${distance.toFixed(1)} apart (want ≥ ${least})`);
        }
      }
    }
  }
  assert.deepEqual(close, []);
});

void test('peak memory and core utilization borrow no task state\'s hue', () => {
  for (const theme of ['dark', 'light', 'highContrast', 'highContrastLight'] as const) {
    for (const annotation of ['memory', 'coreBusy']) {
      const colour = byName.get(annotation)![theme];
      assert.ok(lab(colour).a ** 2 + lab(colour).b ** 2 < 4, `${annotation} is a neutral grey in ${theme} (${colour}), not a state colour`);
    }
  }
});

void test('the standalone report falls back to the same dark and light colours', () => {
  const css = readFileSync(path.join(REPO, 'src/webview/styles.css'), 'utf8');
  const [darkBlock, lightBlock] = [css.slice(0, css.indexOf('@media (prefers-color-scheme: light)')), css.slice(css.indexOf('@media (prefers-color-scheme: light)'))];
  for (const [name, defaults] of byName) {
    const variable = `--cl-fallback-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const read = (block: string) => new RegExp(`${variable}: (#[0-9a-f]{6});`, 'i').exec(block)?.[1]?.toLowerCase();
    assert.equal(read(darkBlock), defaults.dark.toLowerCase(), `${variable} (dark)`);
    assert.equal(read(lightBlock), defaults.light.toLowerCase(), `${variable} (light)`);
  }
});
