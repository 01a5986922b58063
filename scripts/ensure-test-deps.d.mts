export const CODE_SERVER_VERSION: string;
export const codeServerCache: string;
export const codeServerEntry: string;
export const SYSTEM_PYTHON: string;
export function ensureChromium(): string;
export function ensureDask(): string;
export function ensureE2eDeps(): { codeServerEntry: string; chromiumPath: string };
