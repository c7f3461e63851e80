import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/core/index.js';
import { DEFAULT_SLA_POLICY_DIR, checkSlaPolicies, loadSlaPolicies } from '../../../src/sla/index.js';
import { parseSlaPolicy } from '../../../src/sla/internal.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { VALID } from './fixtures.js';

/** The first problem of `text` as `line key message`. */
function firstProblem(text: string): { line: number | undefined; key: string; message: string } {
  const { policy, problems } = parseSlaPolicy(text, 'p.yml');
  expect(policy).toBeUndefined();
  expect(problems.length).toBeGreaterThan(0);
  return { line: problems[0].line, key: problems[0].key, message: problems[0].message };
}

describe('SLA policy file parsing', () => {
  it('parses a valid file, fills defaults and freezes it', () => {
    const { policy, problems } = parseSlaPolicy(VALID, 'demo.yml');
    expect(problems).toEqual([]);
    expect(policy).toMatchObject({
      name: 'demo-1m', match: { node: 'ohlcv:demo:*', interval: '1m' }, intervalMs: 60_000, mode: 'enforced',
      onViolation: 'partial', objective: 0.99, source: 'demo.yml', budgets: { storage: 500, backfill: 2000, total: 2500 },
    });
    expect(Object.isFrozen(policy?.budgets)).toBe(true);
  });

  it.each([
    ['an unknown top-level key', VALID.replace('owner: data-platform', 'owner: data-platform\nownr: x'), 11, 'ownr', /unknown key "ownr"/],
    ['an unknown nested key', VALID.replace('  interval: 1m', '  interval: 1m\n  nodes: x'), 5, 'match.nodes', /unknown key "nodes"/],
    ['a bad mode', VALID.replace('mode: enforced', 'mode: strict'), 5, 'mode', /dry-run|enforced/],
    ['a negative budget', VALID.replace('storage: 500', 'storage: -5'), 7, 'budgets.storage', /./],
    ['a fractional budget', VALID.replace('backfill: 2000', 'backfill: 20.5'), 8, 'budgets.backfill', /int/i],
    ['a budget beyond the histogram', VALID.replace('total: 2500', 'total: 900000'), 9, 'budgets.total', /600000/],
    ['an unknown interval', VALID.replace('interval: 1m', 'interval: 7m'), 4, 'match.interval', /1m/],
    ['a missing owner (reported at the mapping)', VALID.replace('owner: data-platform\n', ''), 1, 'owner', /./],
    ['a coverage ratio above 1', `${VALID}coverage:\n  minRatio: 1.5\n`, 14, 'coverage.minRatio', /./],
    ['a bad onViolation', `${VALID}onViolation: retry\n`, 13, 'onViolation', /fail|partial|hold/],
    ['a runbook with spaces', VALID.replace('runbook: docs/operations/sla/demo-1m.md', 'runbook: my runbook'), 11, 'runbook', /URL or a path/],
    ['a bad policy name', VALID.replace('name: demo-1m', 'name: "demo 1m"'), 1, 'name', /letters/],
    ['a phase budget over the total', VALID.replace('backfill: 2000', 'backfill: 3000'), 8, 'budgets.backfill', /exceeds budgets.total/],
    ['a duplicated key', VALID.replace('mode: enforced', 'mode: enforced\nmode: dry-run'), 6, '(yaml)', /unique/i],
    ['a YAML syntax error', VALID.replace('owner: data-platform', 'owner: "data-platform'), 10, '(yaml)', /./],
    ['a list instead of a mapping', '- name: x\n', 1, '(file)', /mapping/],
    ['an empty file', '', 1, '(file)', /mapping/],
  ])('refuses %s naming line and key', (_case, text, line, key, message) => {
    const p = firstProblem(text);
    expect({ line: p.line, key: p.key }).toEqual({ line, key });
    expect(p.message).toMatch(message);
  });

  it('reports every problem of a file, not only the first', () => {
    const { problems } = parseSlaPolicy(VALID.replace('mode: enforced', 'mode: x').replace('storage: 500', 'storage: 0'), 'p.yml');
    expect(problems.map((p) => p.key)).toEqual(['mode', 'budgets.storage']);
  });
});

describe('SLA policy directory loading', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir('seamless-sla-'); });
  afterEach(async () => { await dir.remove(); });
  const write = (name: string, text: string): string => {
    const file = join(dir.path, name);
    writeFileSync(file, text);
    return file;
  };

  it('loads *.yml and *.yaml sorted by file name and ignores other files', () => {
    write('b.yaml', VALID.replace('name: demo-1m', 'name: b').replace('ohlcv:demo:*', 'b:*'));
    write('a.yml', VALID.replace('name: demo-1m', 'name: a').replace('ohlcv:demo:*', 'a:*'));
    write('notes.txt', 'not a policy');
    const check = checkSlaPolicies(dir.path);
    expect(check.files.map((f) => f.slice(dir.path.length + 1))).toEqual(['a.yml', 'b.yaml']);
    expect(loadSlaPolicies(dir.path).policies.map((p) => p.name).sort()).toEqual(['a', 'b']);
  });

  it('refuses a bad file with an InvalidRequestError naming file, line and key', () => {
    const file = write('bad.yml', VALID.replace('total: 2500', 'totl: 2500'));
    let caught: unknown;
    try { loadSlaPolicies(dir.path); } catch (err) { caught = err; }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    const err = caught as InvalidRequestError;
    expect(err.field).toBe('budgets.totl');
    expect(err.message).toBe(`budgets.totl: ${file}:9: unknown key "totl"`);
    expect(err.details).toMatchObject({ file, line: 9, key: 'budgets.totl' });
  });

  it('refuses two policies with the same name, naming both files', () => {
    const a = write('a.yml', VALID);
    const b = write('b.yml', VALID.replace('ohlcv:demo:*', 'other:*'));
    expect(() => loadSlaPolicies(dir.path)).toThrow(`name: ${b}:1: policy "demo-1m" is declared twice: in ${a} and in ${b}`);
  });

  it('refuses a missing directory', () => {
    expect(() => loadSlaPolicies(join(dir.path, 'nope'))).toThrow(InvalidRequestError);
  });

  it('loads an empty directory as a set that applies to nothing', () => {
    mkdirSync(join(dir.path, 'empty'));
    expect(loadSlaPolicies(join(dir.path, 'empty')).resolve('ohlcv:demo:BTC-USD', 60_000)).toBeUndefined();
  });

  it('accepts the example policies', () => {
    const set = loadSlaPolicies(DEFAULT_SLA_POLICY_DIR);
    expect(set.policies.map((p) => p.name).sort()).toEqual(['default', 'demo-1m', 'equities-1d']);
    expect(set.byName('default')?.mode).toBe('dry-run');
    expect(set.byName('demo-1m')?.mode).toBe('enforced');
  });
});
