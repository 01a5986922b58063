import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBytes, formatCount, formatDuration, formatMs } from '../../../src/webview/format';

void test('numbers are formatted the way the summary and tooltips promise', () => {
  assert.deepEqual([0, 999, 1000, 1234567, 1_000_000].map(formatCount), ['0', '999', '1,000', '1,234,567', '1,000,000']);
  assert.equal(formatMs(1_234_567), '1.235 ms');
  assert.deepEqual([512, 1_500, 2_500_000, 3_210_000_000].map(formatDuration), ['512 ns', '1.5 µs', '2.500 ms', '3.210 s']);
  assert.deepEqual([null, 512, 2048, 5 * 2 ** 20].map(formatBytes), ['not measured', '512 B', '2.0 KiB', '5.0 MiB']);
});
