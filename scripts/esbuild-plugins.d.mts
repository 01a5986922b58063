import type { Plugin } from 'esbuild';

export declare const webTreeSitterCjs: Plugin;
