import { version } from '../../package.json';

export const TOOL_NAME = 'conclens';
export const TOOL_VERSION: string = version;
