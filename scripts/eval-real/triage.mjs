// The committed triage of real-code findings: one entry per warning or error, with a verdict
// and one line why. An entry matches a finding of the same file and rule whose source line
// reads the same (so an unrelated edit above it does not lose the verdict), or failing that
// the same line number.
import { existsSync, readFileSync } from 'node:fs';

export const VERDICTS = ['TP', 'FP', 'debatable', '?'];

/** `{ entries: [{ file, line, rule, code, verdict, why }] }`; a missing file is an empty triage. */
export function readTriage(file) {
  if (!existsSync(file)) return { entries: [] };
  const triage = JSON.parse(readFileSync(file, 'utf8'));
  for (const entry of triage.entries) {
    if (!VERDICTS.includes(entry.verdict)) throw new Error(`${file}: verdict must be one of ${VERDICTS.join(', ')}: ${JSON.stringify(entry)}`);
    if (entry.verdict !== '?' && !entry.why) throw new Error(`${file}: every verdict needs a "why": ${JSON.stringify(entry)}`);
  }
  return triage;
}

/** Pairs each finding with its triage entry (each entry used once), or with none. */
export function matchTriage(findings, entries) {
  const unused = new Set(entries);
  const take = (test) => {
    for (const entry of unused) {
      if (test(entry)) {
        unused.delete(entry);
        return entry;
      }
    }
    return undefined;
  };
  const sameSite = (finding) => (entry) => entry.file === finding.file && entry.rule === finding.rule;
  const pairs = findings.map((finding) => ({ finding, entry: take((e) => sameSite(finding)(e) && e.code === finding.code && e.line === finding.line) }));
  for (const pair of pairs) pair.entry ??= take((e) => sameSite(pair.finding)(e) && e.code === pair.finding.code);
  for (const pair of pairs) pair.entry ??= take((e) => sameSite(pair.finding)(e) && e.line === pair.finding.line);
  return pairs;
}

export function summarize(pairs) {
  const count = (verdict) => pairs.filter((p) => p.entry?.verdict === verdict).length;
  const tp = count('TP');
  const fp = count('FP');
  return {
    tp,
    fp,
    debatable: count('debatable'),
    untriaged: pairs.filter((p) => !p.entry || p.entry.verdict === '?').length,
    precision: tp + fp === 0 ? null : tp / (tp + fp),
  };
}

export function untriagedEntry(finding) {
  const { file, line, rule, code } = finding;
  return { file, line, rule, code, verdict: '?', why: '' };
}
