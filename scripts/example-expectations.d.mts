export type ExampleRole = 'buggy' | 'fixed' | 'support';

export interface Expectation {
  file: string;
  /** Zero-based, like Finding ranges. */
  line: number;
  ruleId: string;
}

export function listPythonFiles(dir: string): string[];
export function fileRole(file: string): ExampleRole;
export function scenarioOf(examplesDir: string, file: string): string;
export function expectationsIn(file: string, text: string): Expectation[];
