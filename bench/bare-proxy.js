#!/usr/bin/env node
// Bare Node reverse proxy: the "proxy overhead" baseline for the benchmark.
// node:http server -> node:http keep-alive agent -> upstream, bodies piped both ways, nothing else:
// no parsing, no auth, no metering, no logging.
//
//   node bench/bare-proxy.js --port 8081 --host 127.0.0.1 --upstream http://127.0.0.1:8080
import http from 'node:http';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}

const USAGE =
  'usage: node bench/bare-proxy.js --port <n> [--host 127.0.0.1] --upstream http://127.0.0.1:<port>';
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (const a of process.argv.slice(2)) {
  if (a.startsWith('-') && !/^--(port|host|upstream)(=|$)/.test(a)) {
    console.error(`bare-proxy: unknown option ${a}\n${USAGE}`);
    process.exit(2);
  }
}

const port = Number(arg('port', '8081'));
const host = arg('host', '127.0.0.1');
const upstream = new URL(arg('upstream', 'http://127.0.0.1:8080'));
if (upstream.protocol !== 'http:') throw new Error('bare-proxy only speaks http:// upstreams');

// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; `host` is rewritten by the agent.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardable(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 512, noDelay: true });

const server = http.createServer((req, res) => {
  const upReq = http.request(
    {
      agent,
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: forwardable(req.headers),
    },
    (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, forwardable(upRes.headers));
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    },
  );
  upReq.on('error', () => {
    if (res.headersSent) res.destroy();
    else {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"bad gateway"}}');
    }
  });
  res.on('close', () => {
    if (!res.writableFinished) upReq.destroy();
  });
  req.pipe(upReq);
});

server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(port, host, () => {
  console.log(`bare-proxy listening on http://${host}:${port} -> ${upstream.origin}`);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
