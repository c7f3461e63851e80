/**
 * Reading a docker compose file the way `docker compose` does, for the unit tests (there is no
 * Docker engine here): variable interpolation and a service's environment.
 */
import { isTree } from './helm-chart.js';

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string> | string[];
  volumes?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
}

/** Compose variable interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $$. */
export function interpolate(value: unknown, env: Record<string, string>, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (m, name: string | undefined, op: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '$';
      const set = env[name];
      if (op === ':-' ? set !== undefined && set !== '' : set !== undefined) return set;
      if (op === undefined) problems.push(`${m} has no default`);
      return fallback ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env, problems));
  if (isTree(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, problems)]));
  return value;
}

export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (!Array.isArray(env)) return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(env.map((line) => [line.split('=', 1)[0], line.slice(line.indexOf('=') + 1)]));
}
