import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../wire/errors.js';

/** Whether the calling client is still there, readable at any moment. */
export interface ClientLink {
  /** The client went away before its answer was complete. */
  gone(): boolean;
  /** Aborts when the client goes (already aborted when it had gone before the link was made). */
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Watches the client of one call. A 'close' can fire before anyone listens (a client that times out while
 * the body is read or the upstream is slow), so the socket's state is read as well as the event awaited.
 */
export function watchClient(req: IncomingMessage, res: ServerResponse): ClientLink {
  const controller = new AbortController();
  const gone = () => !res.writableFinished && (res.destroyed || req.socket.destroyed);
  const check = () => {
    if (gone() && !controller.signal.aborted) controller.abort(clientClosed());
  };
  res.on('close', check);
  check();
  return {
    gone: () => {
      check();
      return controller.signal.aborted;
    },
    signal: controller.signal,
    dispose: () => res.off('close', check),
  };
}

export const clientClosed = (): GatewayError =>
  new GatewayError('client_closed', 'The client closed the connection before its answer was complete');
