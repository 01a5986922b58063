/**
 * Checks a trace document against schema/trace.schema.json before anything draws it. Runs in
 * Node only (the extension host, the CLI's report writer): Ajv compiles the schema into a
 * function with `new Function`, which the webview's CSP rightly forbids, so the webview never
 * imports this module and relies on the host having checked what it streams.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import schema from '../../schema/trace.schema.json';
import { TRACE_VERSION, type ProfileTrace } from './trace';

let compiled: ValidateFunction | undefined;
/** Documents already checked, so a trace validated on open is not validated again when shown. */
const checked = new WeakSet<object>();

function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: false, strict: true });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Property names come from the file: keep a hostile one from flooding the message. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** "runs/0: must be object", the way a person reads a JSON path. */
function describeError(error: ErrorObject): string {
  const where = error.instancePath ? error.instancePath.slice(1) : 'the document';
  const allowed = error.keyword === 'enum' ? ` (one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')})` : '';
  const extra = error.keyword === 'additionalProperties' ? ` "${clip(String((error.params as { additionalProperty: unknown }).additionalProperty))}"` : '';
  return `${clip(where)}: ${error.message ?? 'is invalid'}${extra}${allowed}`;
}

/**
 * Returns `value` typed as a trace, or throws one line that names `origin` (a file name) and
 * the first place the document breaks the schema.
 */
export function checkTrace(value: unknown, origin: string): ProfileTrace {
  if (typeof value === 'object' && value !== null && checked.has(value)) return value as ProfileTrace;
  const version = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { version?: unknown }).version : undefined;
  if (version !== undefined && version !== TRACE_VERSION) {
    throw new Error(`${origin} is a trace of version ${JSON.stringify(version)}; this version of Concurrency Lens reads version ${TRACE_VERSION}.`);
  }
  const validate = validator();
  if (!validate(value)) {
    const first = validate.errors?.[0];
    throw new Error(`${origin} is not a valid Concurrency Lens trace (schema/trace.schema.json): ${first ? describeError(first) : 'unknown reason'}.`);
  }
  checked.add(value as object);
  return value as ProfileTrace;
}
