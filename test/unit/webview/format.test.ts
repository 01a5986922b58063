import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaleLinear } from 'd3';
import { formatBytes, formatCount, formatDuration, formatMs, formatTimeTick } from '../../../src/webview/format';

void test('numbers are formatted the way the summary and tooltips promise', () => {
  assert.deepEqual([0, 999, 1000, 1234567, 1_000_000].map(formatCount), ['0', '999', '1,000', '1,234,567', '1,000,000']);
  assert.equal(formatMs(1_234_567), '1.235 ms');
  assert.deepEqual([512, 1_500, 2_500_000, 3_210_000_000].map(formatDuration), ['512 ns', '1.5 µs', '2.500 ms', '3.210 s']);
  assert.deepEqual([null, 512, 2048, 5 * 2 ** 20].map(formatBytes), ['not measured', '512 B', '2.0 KiB', '5.0 MiB']);
});

void test('time-axis ticks read like a person writes them, at every zoom', () => {
  const labels = (from: number, to: number) => {
    const ticks = scaleLinear().domain([from, to]).ticks(8);
    return ticks.map((t) => formatTimeTick(t, ticks[1]! - ticks[0]!));
  };
  assert.deepEqual(labels(0, 1.5e9), ['0', '200 ms', '400 ms', '600 ms', '800 ms', '1 s', '1.2 s', '1.4 s']);
  assert.deepEqual(labels(0, 12e6), ['0', '2 ms', '4 ms', '6 ms', '8 ms', '10 ms', '12 ms']);
  assert.deepEqual(labels(10e6, 10.2e6), ['10 ms', '10.02 ms', '10.04 ms', '10.06 ms', '10.08 ms', '10.1 ms', '10.12 ms', '10.14 ms', '10.16 ms', '10.18 ms', '10.2 ms']);
  assert.deepEqual(labels(0, 2e3).slice(4, 7), ['800 ns', '1 µs', '1.2 µs']);
  assert.equal(formatTimeTick(1.25e9, 0.25e9), '1.25 s');
  // Deep in a long run: the digits that tell neighbours apart, nothing more.
  const deep = labels(5e9 + 1.2e6, 5e9 + 1.22e6);
  assert.equal(new Set(deep).size, deep.length);
  assert.ok(deep.every((label) => /^5\.0012\d*[1-9]? s$/.test(label) && !/0 s$/.test(label)), deep.join(' | '));
});
