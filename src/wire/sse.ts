/** One server-sent event exactly as received (`raw`, separator included) plus its parsed fields. */
export interface SseEvent {
  raw: string;
  event: string | undefined;
  data: string;
}

/**
 * Splits an SSE byte stream (already decoded to text) into whole events. Only framing is parsed; the raw
 * text of each event is kept so the gateway can pass it on unchanged.
 */
export class SseFramer {
  private buf = '';

  push(text: string): SseEvent[] {
    this.buf += text;
    const out: SseEvent[] = [];
    for (;;) {
      const end = boundary(this.buf);
      if (end < 0) break;
      const raw = this.buf.slice(0, end);
      this.buf = this.buf.slice(end);
      out.push(parseEvent(raw));
    }
    return out;
  }

  /**
   * At the end of the stream: the trailing event when only its blank line is missing (its last line ended),
   * terminated so it can be passed on. An event cut mid-line is dropped, as SSE clients drop an unfinished
   * event at end of stream: appending anything to it (such as an error event) would corrupt its last line.
   */
  end(): SseEvent | undefined {
    const r = this.buf;
    this.buf = '';
    if (r.trim() === '' || !r.endsWith('\n')) return undefined;
    return parseEvent(r.endsWith('\r\n') ? `${r}\r\n` : `${r}\n`);
  }
}

/** Index just past the first blank-line separator (\n\n or \r\n\r\n), or -1. */
function boundary(s: string): number {
  const lf = s.indexOf('\n\n');
  const crlf = s.indexOf('\r\n\r\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : -1;
}

function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  let data = '';
  let first = true;
  for (const line of raw.split(/\r?\n/)) {
    if (line.startsWith('data:')) {
      const v = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = first ? v : `${data}\n${v}`;
      first = false;
    } else if (line.startsWith('event:')) {
      event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
    }
  }
  return { raw, event, data };
}
