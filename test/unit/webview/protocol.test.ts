import assert from 'node:assert/strict';
import { test } from 'node:test';
import { traceMessages, validateWebviewMessage } from '../../../src/shared/webview-protocol';
import { lockSpan, run, task, trace } from './trace-fixture';

void test('accepts each webview message shape and returns a clean copy', () => {
  assert.deepEqual(validateWebviewMessage({ type: 'ready', protocolVersion: 1 }), { type: 'ready', protocolVersion: 1 });
  assert.deepEqual(validateWebviewMessage({ type: 'revealSource', file: 'pkg/work.py', line: 12 }), { type: 'revealSource', file: 'pkg/work.py', line: 12 });
  assert.deepEqual(validateWebviewMessage({ type: 'revealSource', file: 'work.py', symbol: 'Worker.run' }), { type: 'revealSource', file: 'work.py', symbol: 'Worker.run' });
  assert.deepEqual(validateWebviewMessage({ type: 'revealSource', file: '/usr/lib/python3.11/threading.py', line: 1 }), {
    type: 'revealSource',
    file: '/usr/lib/python3.11/threading.py',
    line: 1,
  });
  assert.deepEqual(validateWebviewMessage({ type: 'traceLoaded', streamId: 3, runs: 2, tasks: 10 }), { type: 'traceLoaded', streamId: 3, runs: 2, tasks: 10 });
  assert.deepEqual(validateWebviewMessage({ type: 'viewState', runKey: 'thread:2:0', sideBySide: true }), { type: 'viewState', runKey: 'thread:2:0', sideBySide: true });
  assert.deepEqual(validateWebviewMessage({ type: 'error', message: 'boom' }), { type: 'error', message: 'boom' });
});

void test('rejects malformed, unknown and smuggling messages', () => {
  const bad: unknown[] = [
    null,
    'ready',
    [],
    { type: 'nope' },
    { type: 'ready' },
    { type: 'ready', protocolVersion: -1 },
    { type: 'ready', protocolVersion: 1, extra: true },
    { type: 'revealSource', file: 'a.py' },
    { type: 'revealSource', file: 'a.py', line: 0 },
    { type: 'revealSource', file: 'a.py', line: 1.5 },
    { type: 'revealSource', file: '', line: 1 },
    { type: 'revealSource', file: '../../etc/passwd', line: 1 },
    { type: 'revealSource', file: 'a\\..\\b.py', line: 1 },
    { type: 'revealSource', file: 'a\0.py', line: 1 },
    { type: 'revealSource', file: 'a.py', symbol: 'x; rm -rf /' },
    { type: 'revealSource', file: 'a.py', line: 2, command: 'workbench.action.terminal.new' },
    { type: 'revealSource', file: 'x'.repeat(5000), line: 1 },
    { type: 'viewState', runKey: 3, sideBySide: false },
    { type: 'viewState', runKey: null, sideBySide: 'yes' },
    { type: 'traceLoaded', streamId: 1, runs: 1 },
    { type: 'error', message: 42 },
  ];
  for (const message of bad) assert.equal(validateWebviewMessage(message), undefined, JSON.stringify(message)?.slice(0, 80));
});

void test('streams a trace as begin, bounded chunks and end, and nothing is lost', () => {
  const tasks = Array.from({ length: 7 }, (_, i) => task(i, 1 + (i % 2), i, i + 1));
  const locks = [lockSpan(1, 0, 0.5, 1), lockSpan(2, 0.2, 1, 1.5)];
  const t = trace([run('thread', 2, tasks, { lockSpans: locks }), run('serial', 1, [task(0, 9, 0, 1)])]);
  const messages = [...traceMessages(t, 5, 3)];
  assert.equal(messages[0]!.type, 'traceBegin');
  assert.equal(messages.at(-1)!.type, 'traceEnd');
  const begin = messages[0]!;
  assert.ok(begin.type === 'traceBegin');
  assert.equal(begin.totalItems, 10);
  assert.equal('tasks' in begin.header.runs[0]!, false, 'the header carries no task arrays');
  let streamed = 0;
  for (const m of messages) {
    if (m.type !== 'traceChunk') continue;
    const items = (m.tasks?.count ?? 0) + (m.lockSpans?.count ?? 0) + (m.coreSamples?.length ?? 0);
    assert.ok(items >= 1 && items <= 3, `chunk of ${items}`);
    assert.equal(m.streamId, 5);
    streamed += items;
  }
  assert.equal(streamed, 10);
  assert.throws(() => [...traceMessages(t, 1, 0)], /positive integer/);
});
