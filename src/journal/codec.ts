import type { CallHeader, WriteOp } from '../ledger/types.js';

/**
 * What the journal knows of a call before it goes upstream: enough to charge its input if the process dies
 * before the call settles. `inputTokens` is admission's exact upper bound when the call was admitted
 * against money; otherwise the journal estimates from the body size (`bodyBytes`) at recovery.
 */
export interface BeginRecord extends CallHeader {
  /** The model sent upstream (differs from modelRequested on a cheaper lane). */
  model: string;
  inputTokens: number | null;
  bodyBytes: number;
  /** The prepaid wallet the call draws from, if any. */
  wallet: string | null;
}

export type JournalEntry = { begin: BeginRecord } | { settle: WriteOp };

/** One line per entry; wallet amounts are BigInt, carried as decimal strings. */
export function encodeBegin(b: BeginRecord): string {
  return `{"b":${JSON.stringify(b)}}\n`;
}

export function encodeSettle(op: WriteOp): string {
  if (!op.wallet) return `{"s":${JSON.stringify(op)}}\n`;
  const wallet = { ...op.wallet, amountPico: op.wallet.amountPico.toString() };
  return `{"s":${JSON.stringify({ ...op, wallet })}}\n`;
}

/** Parses one line; a torn or foreign line (the tail of a killed write) yields undefined. */
export function decodeLine(line: string): JournalEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as { b?: BeginRecord; s?: WriteOp & { wallet?: { amountPico: string | bigint } } };
  if (o.b && typeof o.b.id === 'string') return { begin: withTags(o.b) };
  if (o.s && typeof o.s === 'object') {
    const op = o.s;
    if (op.request) op.request = withTags(op.request);
    if (op.wallet) op.wallet = { ...op.wallet, amountPico: BigInt(op.wallet.amountPico) };
    return { settle: op as WriteOp };
  }
  return undefined;
}

/** Tags as written (lines from before tags existed have none; anything but a list of strings is dropped). */
function withTags<T extends { tags?: readonly string[] }>(v: T): T {
  if (v.tags === undefined) return v;
  if (Array.isArray(v.tags) && v.tags.length > 0 && v.tags.every((t) => typeof t === 'string')) return v;
  const { tags: _dropped, ...rest } = v;
  return rest as T;
}

/** The request id an op settles (the journal tracks ops by it). */
export function opId(op: WriteOp): string | undefined {
  return op.request?.id;
}
