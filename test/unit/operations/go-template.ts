/**
 * A test-only renderer for the subset of Go templates (with Helm's functions) that the Seamless
 * chart uses, so the chart can be rendered and checked without `helm` (not installed here):
 * `{{ .Values.a.b }}`, `$`, `{{- … -}}` whitespace trimming, comments, `if`/`else if`/`else`,
 * `with`, `define`/`include`/`tpl`, pipelines and the functions in FUNCTIONS.
 *
 * It is stricter than Helm on purpose: a field path that does not exist (a `.Values` key missing
 * from values.yaml, say) is an error instead of an empty string, and so is printing a map.
 * Anything outside the subset (`range`, variables, unknown functions) is an error naming it,
 * so a template that grows beyond it fails the test rather than rendering wrongly.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Raised by Helm's `fail` and `required`: the chart refusing its values. */
export class TemplateFailure extends TemplateError {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateFailure';
  }
}

type Value = unknown;

type Expr =
  | { readonly type: 'field'; readonly root: 'dot' | 'dollar'; readonly path: readonly string[] }
  | { readonly type: 'literal'; readonly value: Value }
  | { readonly type: 'ident'; readonly name: string }
  | { readonly type: 'pipe'; readonly commands: readonly (readonly Expr[])[] };

type Node =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'output'; readonly pipe: Expr; readonly where: string }
  | { readonly type: 'if' | 'with'; readonly branches: readonly { readonly cond: Expr; readonly body: readonly Node[] }[]; readonly otherwise: readonly Node[]; readonly where: string };

interface Action { readonly src: string; readonly where: string }
type Piece = { readonly kind: 'text'; text: string } | { readonly kind: 'action'; readonly action: Action };

/** Splits a template into text and actions, applying `{{-` and `-}}` trimming. */
function lex(source: string, name: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    const textEnd = open === -1 ? source.length : open;
    let text = source.slice(i, textEnd);
    if (trimNext) text = text.replace(/^\s+/, '');
    pieces.push({ kind: 'text', text });
    if (open === -1) break;
    const close = findClose(source, open + 2);
    if (close === -1) throw new TemplateError(`${name}: unclosed action at offset ${open}`);
    let inner = source.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      const prev = pieces[pieces.length - 1];
      if (prev.kind === 'text') prev.text = prev.text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = /\s-$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    const line = source.slice(0, open).split('\n').length;
    pieces.push({ kind: 'action', action: { src: inner.trim(), where: `${name}:${line}` } });
    i = close + 2;
  }
  return pieces;
}

/** The `}}` closing an action, skipping quoted strings (and anything inside a comment). */
function findClose(source: string, from: number): number {
  const comment = /^(-\s+)?\/\*/.exec(source.slice(from, from + 8));
  if (comment !== null) {
    const end = source.indexOf('*/', from);
    return end === -1 ? -1 : source.indexOf('}}', end);
  }
  let quote: string | undefined;
  for (let i = from; i < source.length; i++) {
    const c = source[i];
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === '`') {
      quote = c;
    } else if (c === '}' && source[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)|(\$?(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.|\$)|([A-Za-z_][A-Za-z0-9_]*)|(\(|\)|\|))/y;

function parseExpr(src: string, where: string): Expr {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    if (/^\s*$/.test(src.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (m === null) throw new TemplateError(`${where}: cannot parse "${src.slice(at)}" (outside the supported subset)`);
    tokens.push(m[0].trim());
  }
  let pos = 0;
  const pipeline = (): Expr => {
    const commands: Expr[][] = [];
    let command: Expr[] = [];
    while (pos < tokens.length && tokens[pos] !== ')') {
      const t = tokens[pos++];
      if (t === '|') {
        if (command.length === 0) throw new TemplateError(`${where}: empty command in "${src}"`);
        commands.push(command);
        command = [];
      } else if (t === '(') {
        command.push(pipeline());
        if (tokens[pos++] !== ')') throw new TemplateError(`${where}: unbalanced parentheses in "${src}"`);
      } else {
        command.push(operand(t));
      }
    }
    if (command.length === 0) throw new TemplateError(`${where}: empty command in "${src}"`);
    commands.push(command);
    return { type: 'pipe', commands };
  };
  const operand = (t: string): Expr => {
    if (t.startsWith('"')) return { type: 'literal', value: JSON.parse(t) as string };
    if (t.startsWith('`')) return { type: 'literal', value: t.slice(1, -1) };
    if (/^-?\d/.test(t)) return { type: 'literal', value: Number(t) };
    if (t === 'true' || t === 'false') return { type: 'literal', value: t === 'true' };
    if (t === 'nil') return { type: 'literal', value: null };
    if (t === '.') return { type: 'field', root: 'dot', path: [] };
    if (t.startsWith('$')) return { type: 'field', root: 'dollar', path: t.slice(1).split('.').filter(Boolean) };
    if (t.startsWith('.')) return { type: 'field', root: 'dot', path: t.split('.').filter(Boolean) };
    return { type: 'ident', name: t };
  };
  const expr = pipeline();
  if (pos !== tokens.length) throw new TemplateError(`${where}: unexpected "${tokens[pos]}" in "${src}"`);
  return expr;
}

interface Parsed { readonly body: Node[]; readonly defines: Map<string, Node[]> }

function parse(pieces: readonly Piece[]): Parsed {
  const defines = new Map<string, Node[]>();
  let i = 0;
  // Parses nodes until an `end`/`else` at this level; returns the action that stopped it.
  const block = (): { nodes: Node[]; stop: Action | undefined } => {
    const nodes: Node[] = [];
    while (i < pieces.length) {
      const p = pieces[i++];
      if (p.kind === 'text') {
        if (p.text !== '') nodes.push({ type: 'text', text: p.text });
        continue;
      }
      const { src, where } = p.action;
      const [word] = src.split(/\s+/, 1);
      if (src.startsWith('/*')) {
        if (!src.endsWith('*/')) throw new TemplateError(`${where}: unterminated comment`);
      } else if (word === 'end' || word === 'else') {
        return { nodes, stop: p.action };
      } else if (word === 'if' || word === 'with') {
        nodes.push(conditional(word, src.slice(word.length), where));
      } else if (word === 'define') {
        const m = /^define\s+"([^"]+)"$/.exec(src);
        if (m === null) throw new TemplateError(`${where}: bad define "${src}"`);
        const { nodes: body, stop } = block();
        if (stop?.src !== 'end') throw new TemplateError(`${where}: define "${m[1]}" is not closed by end`);
        defines.set(m[1], body);
      } else if (['range', 'template', 'block', 'break', 'continue'].includes(word) || src.includes(':=') || /(^|\s)\$[A-Za-z]/.test(src)) {
        throw new TemplateError(`${where}: "${src}" is outside the subset this test renderer supports`);
      } else {
        nodes.push({ type: 'output', pipe: parseExpr(src, where), where });
      }
    }
    return { nodes, stop: undefined };
  };
  const conditional = (kind: 'if' | 'with', condSrc: string, where: string): Node => {
    const branches: { cond: Expr; body: Node[] }[] = [];
    let cond = parseExpr(condSrc.trim(), where);
    for (;;) {
      const { nodes, stop } = block();
      if (stop === undefined) throw new TemplateError(`${where}: ${kind} is not closed by end`);
      branches.push({ cond, body: nodes });
      if (stop.src === 'end') return { type: kind, branches, otherwise: [], where };
      if (stop.src === 'else') {
        const rest = block();
        if (rest.stop?.src !== 'end') throw new TemplateError(`${stop.where}: else is not closed by end`);
        return { type: kind, branches, otherwise: rest.nodes, where };
      }
      const m = new RegExp(`^else\\s+${kind}\\s+(.+)$`).exec(stop.src);
      if (m === null) throw new TemplateError(`${stop.where}: unsupported "${stop.src}"`);
      cond = parseExpr(m[1], stop.where);
    }
  };
  const { nodes, stop } = block();
  if (stop !== undefined) throw new TemplateError(`${stop.where}: unexpected ${stop.src}`);
  return { body: nodes, defines };
}

/** Go template truth: false, 0, nil, "" and empty collections are false. */
export function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function isMap(v: Value): v is Record<string, Value> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function text(v: Value, where: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new TemplateError(`${where}: printing a ${Array.isArray(v) ? 'list' : 'map'} (use toYaml)`);
}

function sprintf(format: string, args: readonly Value[], where: string): string {
  let n = 0;
  return format.replace(/%([sdvq%])/g, (_m, verb: string) => {
    if (verb === '%') return '%';
    if (n >= args.length) throw new TemplateError(`${where}: printf "${format}" is missing an argument`);
    const a = args[n++];
    if (verb === 'd' && typeof a !== 'number') throw new TemplateError(`${where}: printf %d of ${typeof a}`);
    return verb === 'q' ? JSON.stringify(text(a, where)) : text(a, where);
  });
}

function indent(n: number, s: string): string {
  const pad = ' '.repeat(n);
  return pad + s.replace(/\n/g, `\n${pad}`);
}

export class Renderer {
  readonly #defines = new Map<string, Node[]>();
  readonly #parsed = new Map<string, Node[]>();
  readonly #root: Value;

  /** `files`: template name → source; every `define` in any of them is available to all. */
  constructor(files: ReadonlyMap<string, string>, root: Value) {
    this.#root = root;
    for (const [name, source] of files) {
      const parsed = parse(lex(source, name));
      for (const [k, v] of parsed.defines) this.#defines.set(k, v);
      this.#parsed.set(name, parsed.body);
    }
  }

  render(name: string): string {
    const body = this.#parsed.get(name);
    if (body === undefined) throw new TemplateError(`no template ${name}`);
    return this.#nodes(body, this.#root, name);
  }

  #nodes(nodes: readonly Node[], dot: Value, where: string): string {
    let out = '';
    for (const node of nodes) {
      if (node.type === 'text') {
        out += node.text;
      } else if (node.type === 'output') {
        out += text(this.#eval(node.pipe, dot, `${where} (${node.where})`), node.where);
      } else {
        let taken = false;
        for (const b of node.branches) {
          const v = this.#eval(b.cond, dot, `${where} (${node.where})`);
          if (truthy(v)) {
            out += this.#nodes(b.body, node.type === 'with' ? v : dot, where);
            taken = true;
            break;
          }
        }
        if (!taken) out += this.#nodes(node.otherwise, dot, where);
      }
    }
    return out;
  }

  #eval(expr: Expr, dot: Value, where: string, piped: readonly Value[] = []): Value {
    switch (expr.type) {
      case 'literal':
        return expr.value;
      case 'field': {
        let v: Value = expr.root === 'dot' ? dot : this.#root;
        const shown = `${expr.root === 'dot' ? '' : '$'}.${expr.path.join('.')}`;
        for (const key of expr.path) {
          if (!isMap(v) || !Object.hasOwn(v, key)) throw new TemplateError(`${where}: ${shown}: no key "${key}" (missing from values.yaml?)`);
          v = v[key];
        }
        return v;
      }
      case 'ident':
        return this.#call(expr.name, piped, where);
      case 'pipe': {
        let result: Value[] = [];
        expr.commands.forEach((command, i) => {
          const [head, ...rest] = command;
          const args = [...rest.map((e) => this.#eval(e, dot, where)), ...(i > 0 ? result : [])];
          if (head.type === 'ident') {
            result = [this.#call(head.name, args, where)];
          } else {
            if (args.length > 0) throw new TemplateError(`${where}: a value cannot take arguments`);
            result = [this.#eval(head, dot, where)];
          }
        });
        return result[0];
      }
      default: {
        const never: never = expr;
        return never;
      }
    }
  }

  #call(name: string, args: readonly Value[], where: string): Value {
    const need = (n: number): void => {
      if (args.length !== n) throw new TemplateError(`${where}: ${name} takes ${n} argument(s), got ${args.length}`);
    };
    const str = (v: Value): string => text(v, where);
    switch (name) {
      case 'include': {
        need(2);
        const body = this.#defines.get(str(args[0]));
        if (body === undefined) throw new TemplateError(`${where}: include of undefined template "${str(args[0])}"`);
        return this.#nodes(body, args[1], `${where} > ${str(args[0])}`);
      }
      case 'tpl':
        need(2);
        return this.#nodes(parse(lex(str(args[0]), `${where} (tpl)`)).body, args[1], `${where} (tpl)`);
      case 'toYaml':
        need(1);
        return args[0] === null || args[0] === undefined ? 'null' : stringify(args[0], { lineWidth: 0 }).replace(/\n$/, '');
      case 'nindent':
        need(2);
        return `\n${indent(Number(args[0]), str(args[1]))}`;
      case 'indent':
        need(2);
        return indent(Number(args[0]), str(args[1]));
      case 'quote':
        return args.filter((a) => a !== null && a !== undefined).map((a) => JSON.stringify(str(a))).join(' ');
      case 'default':
        need(2);
        return truthy(args[1]) ? args[1] : args[0];
      case 'required':
        need(2);
        if (args[1] === null || args[1] === undefined || args[1] === '') throw new TemplateFailure(str(args[0]));
        return args[1];
      case 'fail':
        need(1);
        throw new TemplateFailure(str(args[0]));
      case 'printf':
        return sprintf(str(args[0]), args.slice(1), where);
      case 'trunc':
        need(2);
        return str(args[1]).slice(0, Number(args[0]));
      case 'trimSuffix': {
        need(2);
        const [suffix, s] = [str(args[0]), str(args[1])];
        return suffix !== '' && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
      }
      case 'sha256sum':
        need(1);
        return createHash('sha256').update(str(args[0]), 'utf8').digest('hex');
      case 'contains':
        need(2);
        return str(args[1]).includes(str(args[0]));
      case 'toString':
        need(1);
        return str(args[0]);
      case 'not':
        need(1);
        return !truthy(args[0]);
      case 'eq':
        need(2);
        return args[0] === args[1];
      case 'ne':
        need(2);
        return args[0] !== args[1];
      default:
        throw new TemplateError(`${where}: function "${name}" is outside the subset this test renderer supports`);
    }
  }
}
