export { loadConfig, type Env } from './config.ts';
export { LOCAL } from './defaults.ts';
export { ENV_VARS, type EnvVar } from './env-vars.ts';
export type { AdclickConfig, ApiToken } from './types.ts';
