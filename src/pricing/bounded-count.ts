import type { Bpe } from './o200k.js';

/** A token count; `exact: false` when some text was counted by its UTF-8 byte length, a proven upper bound. */
export interface TokenCount {
  tokens: number;
  exact: boolean;
}

/**
 * Longest pre-tokenizer piece (UTF-16 units) given to BPE. BPE time grows with the square of a piece's length
 * (50,000 × "a" is one piece: seconds in every tokenizer), while ordinary words, numbers and runs of CJK
 * between punctuation stay far below this.
 */
export const PIECE_MAX = 256;

/**
 * Work one count may do, in units of a few nanoseconds: a piece costs 4 per UTF-16 unit to find (the
 * pattern's Unicode classes are slow on non-Latin text) plus its squared UTF-8 length in BPE. That is
 * ~450,000 characters of English (~110,000 tokens) counted exactly, and tens of milliseconds on any input;
 * beyond it the rest is counted by UTF-8 bytes.
 */
export const WORK_MAX = 4_000_000;
const SCAN_COST = 4;
/** Each text counted also costs a fixed overhead (tokenizer call, cache entry): 8,000 texts per call. */
const TEXT_COST = 500;

/** What is left of one call's work; shared by all the texts of that call. */
export interface Budget {
  work: number;
}

export const newBudget = (): Budget => ({ work: WORK_MAX });

/**
 * Counts o200k tokens in time linear in the text. Pieces are found with the tokenizer's own pre-tokenizer;
 * runs of short pieces are counted exactly by the tokenizer (re-tokenizing a run of consecutive pieces
 * gives back the same pieces: the pattern has no look-behind, and at the run's end look-ahead only meets
 * the end of the string, which lets each piece match as before). A piece over PIECE_MAX, or everything
 * after the budget runs out, counts its UTF-8 bytes: byte-level BPE gives every token at least one byte,
 * so the result never falls below the true count — safe as a reservation's worst case.
 */
export function countBounded(text: string, bpe: Bpe, budget: Budget): TokenCount {
  if (text.length === 0) return { tokens: 0, exact: true };
  // The scan alone costs SCAN_COST per unit: a text too long for what is left is not scanned at all
  // (what is left still serves the call's shorter texts).
  if (TEXT_COST + SCAN_COST * text.length > budget.work) return { tokens: utf8Bytes(text), exact: false };
  budget.work -= TEXT_COST;
  const re = bpe.pieces;
  re.lastIndex = 0;
  let tokens = 0;
  let exact = true;
  let runStart = 0; // the short pieces from here on are not counted yet
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const len = m[0].length;
    const long = len > PIECE_MAX;
    // Outside ASCII a unit is 2–3 UTF-8 bytes, and BPE works on bytes (pieces are rarely mixed).
    const bytes = m[0].charCodeAt(len - 1) > 0x7f ? 3 * len : len;
    const cost = SCAN_COST * len + (long ? 0 : bytes * bytes);
    if (cost > budget.work) {
      budget.work = 0;
      return {
        tokens: tokens + exactRun(bpe, text, runStart, m.index) + utf8Bytes(text.slice(m.index)),
        exact: false,
      };
    }
    budget.work -= cost;
    if (long) {
      tokens += exactRun(bpe, text, runStart, m.index) + utf8Bytes(m[0]);
      exact = false;
      runStart = m.index + len;
    }
  }
  re.lastIndex = 0;
  return { tokens: tokens + exactRun(bpe, text, runStart, text.length), exact };
}

function exactRun(bpe: Bpe, text: string, from: number, to: number): number {
  if (from >= to) return 0;
  return bpe.count(from === 0 && to === text.length ? text : text.slice(from, to));
}

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
