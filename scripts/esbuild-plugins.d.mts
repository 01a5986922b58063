import type { Plugin } from 'esbuild';

export declare const webTreeSitterCjs: Plugin;
export declare const nodeHarnessEntries: Record<string, string>;
