/**
 * The Server-Sent Events text format (WHATWG HTML §9.2.6), as much as the page reads: blocks
 * separated by a blank line, `field: value` lines (one optional space after the colon), `data`
 * lines joined by the reader, comment lines (`:`) skipped, CRLF / CR / LF line ends. Text arrives
 * in arbitrary chunks: `createSseParser(emit).push(chunk)` emits every block completed so far and
 * keeps the rest (a CR ending one chunk and an LF starting the next are one line end).
 */
export interface SseFields {
  id?: string;
  event?: string;
  retry?: string;
  data: string[];
}

export interface SseParser {
  push(chunk: string): void;
}

function parseBlock(block: string): SseFields {
  const fields: SseFields = { data: [] };
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') fields.data.push(value);
    else if (name === 'id' || name === 'event' || name === 'retry') fields[name] = value;
  }
  return fields;
}

export function createSseParser(emit: (fields: SseFields) => void): SseParser {
  let rest = '';
  let afterCR = false;
  return {
    push(chunk) {
      const text = afterCR && chunk.startsWith('\n') ? chunk.slice(1) : chunk;
      if (text === '') return;
      afterCR = text.endsWith('\r');
      rest += text.replace(/\r\n?/g, '\n');
      for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
        const block = rest.slice(0, end);
        rest = rest.slice(end + 2);
        emit(parseBlock(block));
      }
    },
  };
}
