import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const schema = JSON.parse(readFileSync(path.resolve(__dirname, '../../../schema/trace.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv);
const validate = ajv.compile(schema);

/** Validates the trace as it is written to disk (JSON round trip drops undefined fields). */
export function validateTrace(trace: unknown): void {
  if (!validate(JSON.parse(JSON.stringify(trace)))) {
    throw new Error(`trace does not match schema/trace.schema.json: ${ajv.errorsText(validate.errors)}`);
  }
}

export function isValidTrace(trace: unknown): boolean {
  return validate(JSON.parse(JSON.stringify(trace))) as boolean;
}
