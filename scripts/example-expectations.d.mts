export type ExampleRole = 'buggy' | 'fixed' | 'support';
export type ExampleLanguage = 'python' | 'javascript';

export interface Expectation {
  file: string;
  /** Zero-based, like Finding ranges. */
  line: number;
  ruleId: string;
}

export function exampleLanguage(file: string): ExampleLanguage | undefined;
export function listExampleFiles(dir: string): string[];
export function fileRole(file: string): ExampleRole;
export function fixedCounterpart(file: string): string;
export function scenarioOf(examplesDir: string, file: string): string;
export function expectationsIn(file: string, text: string): Expectation[];
