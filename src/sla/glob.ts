/**
 * Node-id globs of SLA policies: `*` matches any run of characters (including none, ':' and
 * '/'), `?` exactly one character, everything else itself. There is no escape: `*` and `?` in a
 * policy are always wildcards. Globs are compiled once, with every other character escaped, so
 * no user text ever reaches a RegExp unescaped.
 */

export interface NodeGlob {
  readonly pattern: string;
  /** No wildcard: the glob names exactly one node. */
  readonly exact: boolean;
  /** Characters other than `*` and `?`; more means more specific. */
  readonly literals: number;
  matches(nodeId: string): boolean;
}

const JS_REGEX_META = /[\\^$.*+?()[\]{}|/-]/g;
// RE2 (Prometheus) metacharacters; '-' and '/' are plain there, escaping them is harmless but noisy.
const RE2_META = /[\\^$.*+?()[\]{}|]/g;

export function compileGlob(pattern: string): NodeGlob {
  const exact = !pattern.includes('*') && !pattern.includes('?');
  let literals = 0;
  for (const ch of pattern) if (ch !== '*' && ch !== '?') literals++;
  const re = new RegExp(`^${translate(pattern, JS_REGEX_META)}$`, 's');
  return Object.freeze({
    pattern,
    exact,
    literals,
    matches: exact ? (nodeId: string) => nodeId === pattern : (nodeId: string) => re.test(nodeId),
  });
}

/** The glob as a fully anchored RE2 regex, as Prometheus `=~` label matchers anchor it. */
export function globToPromRegex(pattern: string): string {
  return translate(pattern, RE2_META);
}

function translate(pattern: string, meta: RegExp): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else out += ch.replace(meta, '\\$&');
  }
  return out;
}

/**
 * Whether some string matches both globs: reachability in the product of the two glob automata
 * (states are positions in each pattern; `*` may be skipped or consume a character).
 */
export function globsOverlap(a: string, b: string): boolean {
  const m = a.length;
  const n = b.length;
  const seen = new Uint8Array((m + 1) * (n + 1));
  const stack: number[] = [0, 0];
  while (stack.length > 0) {
    const j = stack.pop() as number;
    const i = stack.pop() as number;
    const k = i * (n + 1) + j;
    if (seen[k] === 1) continue;
    seen[k] = 1;
    if (i === m && j === n) return true;
    const ca = a[i];
    const cb = b[j];
    if (ca === '*') stack.push(i + 1, j);
    if (cb === '*') stack.push(i, j + 1);
    if (i < m && j < n && (ca === cb || isWild(ca) || isWild(cb))) {
      // Consume one common character; a star stays where it is.
      stack.push(ca === '*' ? i : i + 1, cb === '*' ? j : j + 1);
    }
  }
  return false;
}

function isWild(ch: string): boolean {
  return ch === '*' || ch === '?';
}
