// CLI entry for running the stand-in as its own process (bench, demo): `main.js --port N [--host H]`.
import { startStandin } from './server.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const port = Number(arg('--port') ?? 0);
const host = arg('--host') ?? '127.0.0.1';
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`standin: invalid --port ${arg('--port')}\n`);
  process.exit(2);
}

// Out of process nobody can read recorded requests, so recording would only leak memory.
const standin = await startStandin({ port, host, record: false });
process.stdout.write(`standin listening on ${standin.url}\n`);

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  standin.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
