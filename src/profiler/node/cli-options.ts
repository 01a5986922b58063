/**
 * The command line's choice of runtime: a JavaScript or TypeScript file is profiled with Node,
 * and the options that only mean something for the other runtime are refused by name.
 */
import { isNodeFile } from './module-format';

/** For a JS/TS file the Node options (null for Python); throws on an option of the other runtime. */
export function nodeRuntimeOptions(shown: string, file: string, values: { node?: string; python?: string; 'start-method'?: string; 'dask-scheduler'?: string }): { node?: string } | null {
  if (!isNodeFile(file)) {
    if (values.node !== undefined) throw new Error(`--node applies to JavaScript and TypeScript files; ${shown} is profiled with Python (--python PATH)`);
    return null;
  }
  if (values.python !== undefined) throw new Error(`--python applies to Python files; ${shown} is profiled with Node.js (--node PATH)`);
  if (values['start-method'] !== undefined) throw new Error(`--start-method applies to Python process pools; ${shown} is profiled with Node.js`);
  if (values['dask-scheduler'] !== undefined) throw new Error(`--dask-scheduler applies to Python functions (the dask kind); ${shown} is profiled with Node.js`);
  return { node: values.node };
}
