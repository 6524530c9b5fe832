// Preloaded (node --import) into @portkey-ai/gateway's process by bench/run.js.
// Portkey's start-server.js calls @hono/node-server's serve({ fetch, port }) with no hostname, so it
// listens on every interface (`::`, dual-stack). The benchmark only ever targets 127.0.0.1, so this shim
// makes a listen() call that names no host bind to BENCH_BIND_HOST (default 127.0.0.1) instead.
// It touches nothing on the request path.
import net from 'node:net';

const host = process.env.BENCH_BIND_HOST || '127.0.0.1';
const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function listen(...args) {
  const first = args[0];
  const isPort = typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first));
  if (isPort) {
    if (args.length === 1 || args[1] === undefined || args[1] === null) args[1] = host;
    else if (typeof args[1] === 'function') args.splice(1, 0, host);
  }
  return originalListen.apply(this, args);
};
