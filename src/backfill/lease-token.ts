/**
 * Lease tokens on the wire. A grant's fencing token is a positive integer inside Seamless; the
 * lease API answers it as a JSON number, and a client written against the original wire protocol
 * may keep it as a string and send it back so ("1"). Both denote the same grant. Anything that
 * cannot denote a grant ("abc", "1.5", 0, -1, past 2^53) simply matches none: the caller's claim
 * is stale (a 409), never a malformed request.
 */

/** What a client sent as `token`: the JSON number or string it was given (or kept). */
export type LeaseTokenInput = number | string;

/** Digits only: no sign, no exponent, no spaces, no fraction. */
const DECIMAL = /^[0-9]{1,16}$/;

/** The grant `token` denotes, or undefined when it can denote none. */
export function parseLeaseToken(token: LeaseTokenInput): number | undefined {
  const n = typeof token === 'number' ? token : DECIMAL.test(token) ? Number(token) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** A token as a message shows it: numbers as they are, strings quoted and cut to 40 characters. */
export function showLeaseToken(token: LeaseTokenInput): string {
  if (typeof token === 'number') return String(token);
  return JSON.stringify(token.length > 40 ? `${token.slice(0, 40)}…` : token);
}
