/**
 * Reading query-string values at the HTTP edge, each error naming the parameter.
 */
import { InvalidRequestError } from '../core/index.js';

export type Query = Readonly<Record<string, string | string[] | undefined>>;

/** The single value of a parameter; repeated parameters are an error. */
export function optionalParam(query: Query, name: string): string | undefined {
  const v = query[name];
  if (Array.isArray(v)) throw new InvalidRequestError(name, 'must be given once');
  if (v === undefined || v === '') return undefined;
  return v;
}

export function requiredParam(query: Query, name: string, example: string): string {
  const v = optionalParam(query, name);
  if (v === undefined) throw new InvalidRequestError(name, `is required (e.g. ${name}=${example})`);
  return v;
}

export function booleanParam(query: Query, name: string): boolean {
  const v = optionalParam(query, name);
  if (v === undefined) return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidRequestError(name, `must be true or false, got "${v}"`);
}

export function enumParam<T extends string>(query: Query, name: string, allowed: readonly T[]): T | undefined {
  const v = optionalParam(query, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new InvalidRequestError(name, `unknown value "${v}"; one of ${allowed.join(', ')}`);
  return v as T;
}
