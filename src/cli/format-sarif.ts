import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnalysisResult, Range, Severity, TextEdit } from '../shared/findings';
import { RULES, ruleHelpUri } from '../analyzers/rules';
import type { RunStats } from './format-text';
import { TOOL_VERSION } from './version';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://github.com/conclens/concurrency-lens';
const SRCROOT = 'SRCROOT';

type SarifLevel = 'error' | 'warning' | 'note';

function sarifLevel(severity: Severity): SarifLevel {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

/** Files under the working directory are relative to SRCROOT; others keep an absolute file URI. */
function artifactLocation(file: string, cwd: string) {
  const relative = path.relative(cwd, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    return { uri: pathToFileURL(file).href };
  }
  return { uri: relative.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

/** SARIF regions are one-based; columns count UTF-16 code units (declared by `columnKind`). */
function region(range: Range) {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

function physicalLocation(file: string, range: Range, cwd: string) {
  return { artifactLocation: artifactLocation(file, cwd), region: region(range) };
}

function artifactChanges(edits: TextEdit[], cwd: string) {
  const byFile = new Map<string, TextEdit[]>();
  for (const edit of edits) byFile.set(edit.file, [...(byFile.get(edit.file) ?? []), edit]);
  return [...byFile].map(([file, fileEdits]) => ({
    artifactLocation: artifactLocation(file, cwd),
    replacements: fileEdits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
  }));
}

/** A SARIF 2.1.0 log with one run, valid against the OASIS schema. */
export function toSarifLog(result: AnalysisResult, _stats: RunStats, cwd: string) {
  const ruleIndex = new Map(RULES.map((rule, index) => [rule.id, index]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: 'Concurrency Lens',
            informationUri: INFORMATION_URI,
            version: TOOL_VERSION,
            rules: RULES.map((rule) => ({
              id: rule.id,
              name: rule.id,
              shortDescription: { text: rule.title },
              helpUri: ruleHelpUri(rule.id),
              defaultConfiguration: { level: sarifLevel(rule.defaultSeverity) },
            })),
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(cwd + path.sep).href } },
        columnKind: 'utf16CodeUnits' as const,
        invocations: [
          {
            executionSuccessful: true,
            toolExecutionNotifications: result.notices.map((notice) => ({
              level: 'warning' as const,
              message: { text: notice.message },
              ...(notice.file ? { locations: [{ physicalLocation: { artifactLocation: artifactLocation(notice.file, cwd) } }] } : {}),
            })),
          },
        ],
        results: result.findings.map((finding) => ({
          ruleId: finding.ruleId,
          ...(ruleIndex.has(finding.ruleId) ? { ruleIndex: ruleIndex.get(finding.ruleId) } : {}),
          level: sarifLevel(finding.severity),
          message: { text: finding.message },
          locations: [{ physicalLocation: physicalLocation(finding.file, finding.range, cwd) }],
          relatedLocations: finding.related.map((related, id) => ({
            id,
            message: { text: related.message },
            physicalLocation: physicalLocation(related.file, related.range, cwd),
          })),
          fixes: finding.fixes.map((fix) => ({
            description: { text: fix.title },
            artifactChanges: artifactChanges(fix.edits, cwd),
          })),
        })),
      },
    ],
  };
}

export function formatSarif(result: AnalysisResult, stats: RunStats, cwd: string): string {
  return `${JSON.stringify(toSarifLog(result, stats, cwd), null, 2)}\n`;
}
