export { type Env, loadConfig } from './config.ts';
export { LOCAL } from './defaults.ts';
export { ENV_VARS, type EnvVar } from './env-vars.ts';
export type { AdclickConfig, ApiToken } from './types.ts';
