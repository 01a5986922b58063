import path from 'node:path';
import type { AnalysisResult } from '../../../src/shared/findings';

/** A run with every part a report can carry: related locations, a fix, notices, odd paths. */
export const CWD = path.resolve('/work/project');
export const FILE = path.join(CWD, 'src', 'counter.py');

const at = (line: number, character: number, endCharacter: number) => ({
  start: { line, character },
  end: { line, character: endCharacter },
});

export const sampleResult: AnalysisResult = {
  findings: [
    {
      ruleId: 'PY-RACE-001',
      severity: 'warning',
      message: '`hits += 1` in worker() is an unsynchronised read-modify-write; worker() runs on two threads',
      file: FILE,
      range: at(4, 4, 13),
      related: [
        { file: FILE, range: at(8, 0, 40), message: 'thread 1 started here' },
        { file: path.join(CWD, 'src', 'main file.py'), range: at(9, 0, 40), message: 'thread 2 started here' },
      ],
      fixes: [
        {
          title: 'Guard the update with a lock',
          edits: [
            { file: FILE, range: at(4, 4, 13), newText: 'with hits_lock:\n        hits += 1' },
            { file: FILE, range: at(0, 0, 0), newText: 'hits_lock = threading.Lock()\n' },
          ],
        },
      ],
    },
    {
      ruleId: 'PY-DL-001',
      severity: 'error',
      message: 'lock order inversion between a and b',
      file: FILE,
      range: at(12, 8, 14),
      related: [],
      fixes: [],
    },
    {
      ruleId: 'PY-DL-005',
      severity: 'information',
      message: 'wait outside a loop',
      file: '/elsewhere/outside.py',
      range: at(0, 0, 1),
      related: [],
      fixes: [],
    },
  ],
  notices: [
    { file: path.join(CWD, 'data', 'blob.py'), message: 'skipped: binary content (NUL bytes), not a source file' },
    { file: '', message: 'the python cross-file check failed' },
  ],
  files: 4,
  lines: 120,
  notAnalyzed: 1,
};
