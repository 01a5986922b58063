import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';

const schema = JSON.parse(
  readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8'),
) as object;
// The official schema has a pattern (`language`) that is only valid without the `u` flag.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);

/** The OASIS SARIF 2.1.0 schema (draft-04), compiled once. */
export const validateSarif = ajv.compile(schema);

export function assertValidSarif(log: unknown): void {
  assert.equal(validateSarif(log), true, JSON.stringify(validateSarif.errors, null, 2));
}
