/**
 * Matching real output against output shown in documentation (README's tour), by shape: in shown
 * text `…` is any text (a line of only `…` any number of lines), numbers, hex hashes and ids, and
 * runs of spaces may differ. Shown JSON is compared by its keys and its string and true/false/null
 * values (string values by the same text rules).
 */

const TOKEN = /…|(?<![0-9a-z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}(?:-[0-9a-f]+)*(?![0-9a-z])|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?| +|[^…\d ]/gi;

/** The regular expression source of one shown line (no anchors). */
export function shownLinePattern(line: string): string {
  let out = '';
  for (const m of line.matchAll(TOKEN)) {
    const t = m[0];
    if (t === '…') out += '.*';
    else if (/^ +$/.test(t)) out += ' +';
    else if (/^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i.test(t)) out += '-?\\d+(?:\\.\\d+)?(?:e[+-]?\\d+)?';
    else if (/^[0-9a-f-]+$/i.test(t) && t.length >= 6) out += '[0-9a-f][0-9a-f-]*';
    else out += t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

/** Whether `actual` (whole text) has the shape of `shown` (lines). */
export function matchesShownText(shown: string, actual: string): boolean {
  let source = '';
  for (const line of shown.split('\n')) source += line.trim() === '…' ? '(?:[^\\n]*\\n)*?' : `${shownLinePattern(line.trimEnd())}\\n`;
  const text = `${actual.split('\n').map((l) => l.trimEnd()).join('\n').trimEnd()}\n`;
  return new RegExp(`^${source}$`).test(text);
}

/** What of `shown` (JSON with `…` in it) `actual` (JSON) lacks: missing keys and differing values. */
export function shownJsonMismatches(shown: string, actual: unknown): string[] {
  const found = new Map<string, unknown[]>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { for (const x of v) walk(x); return; }
    if (typeof v !== 'object' || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      found.set(k, [...(found.get(k) ?? []), x]);
      walk(x);
    }
  };
  walk(actual);
  const problems: string[] = [];
  for (const m of shown.matchAll(/"(\w+)":/g)) if (!found.has(m[1])) problems.push(`key "${m[1]}" missing`);
  for (const m of shown.matchAll(/"(\w+)":"((?:[^"\\]|\\.)*)"/g)) {
    const want = JSON.parse(`"${m[2]}"`) as string;
    const re = new RegExp(`^${shownLinePattern(want)}$`);
    if (!(found.get(m[1]) ?? []).some((x) => typeof x === 'string' && re.test(x))) problems.push(`"${m[1]}" is not "${want}"`);
  }
  for (const m of shown.matchAll(/"(\w+)":(true|false|null)\b/g)) {
    const want = JSON.parse(m[2]) as unknown;
    if (!(found.get(m[1]) ?? []).some((x) => x === want)) problems.push(`"${m[1]}" is not ${m[2]}`);
  }
  return problems;
}
