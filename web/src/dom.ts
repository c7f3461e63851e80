/** Small DOM helpers: typed lookups by id and element building without innerHTML (no injection). */
import { ApiError } from './errors.js';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new ApiError(0, 'page', `the page has no element #${id}`, 'index.html');
  return element as T;
}

type Child = Node | string | number | null | undefined;

/** `<tag attrs…>children…</tag>`; attributes starting with `data-` become dataset entries. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Readonly<Record<string, string>> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
  return element;
}

/** Replaces the rows of a table body. */
export function setRows(tbody: HTMLTableSectionElement, rows: HTMLTableRowElement[], emptyText: string, columns: number): void {
  tbody.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: String(columns), class: 'muted' }, emptyText))]));
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

export function fmtTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms).toISOString().replace('T', ' ').replace(/:\d\d\.\d{3}Z$/, 'Z');
}

export function fmtError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
