import type { Usage } from '../pricing/usage.js';
import type { SseEvent } from './sse.js';

/** What the relay does with one upstream event. */
export interface TapDecision {
  /** Text to send on (usually `event.raw` untouched), or null to drop the event. */
  emit: string | null;
  /**
   * True when this event opens the stream's tail (final usage, stop, [DONE]): the relay holds the tail back
   * until the ledger row is durable, so a client never sees the end of a call that is not yet recorded.
   */
  tail: boolean;
  /** The event is not what the protocol allows (data that is not JSON): the stream cannot be trusted on. */
  malformed?: boolean;
}

export interface TapResult {
  usage: Usage | undefined;
  model: string | undefined;
  /** The upstream said the message is finished. */
  complete: boolean;
  /** An error event arrived inside the stream (its type or code). */
  errorCode: string | undefined;
  /** The HTTP status the provider uses for that error outside a stream. */
  errorStatus: number | undefined;
  /** Text, tool arguments and thinking delivered so far: the basis of an estimate when usage never came. */
  deliveredText: string[];
}

/** Per-stream metering state for one protocol; created per request, state kept in the instance. */
export interface StreamTap {
  onEvent(ev: SseEvent): TapDecision;
  result(): TapResult;
}

/** The state every protocol's tap keeps; the taps differ only in how events update it. */
export class TapState {
  usage: Usage | undefined;
  model: string | undefined;
  complete = false;
  errorCode: string | undefined;
  errorStatus: number | undefined;
  inTail = false;
  readonly delivered: string[] = [];

  result(): TapResult {
    return {
      usage: this.usage,
      model: this.model,
      complete: this.complete,
      errorCode: this.errorCode,
      errorStatus: this.errorStatus,
      deliveredText: this.delivered,
    };
  }
}
