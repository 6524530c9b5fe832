import type { Command } from 'commander';
import { startGateway } from '../gateway.js';
import { configFrom } from './context.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the gateway')
    .option('--port <port>', 'port to listen on (default 8787, or MARGIN_PORT)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--db <file>', 'SQLite ledger file (default margin.db, or MARGIN_DB)')
    .option('--config <file>', 'YAML/JSON config file')
    .action(async (o: { port?: string; host?: string; db?: string; config?: string }) => {
      const config = configFrom(o);
      const gw = await startGateway(config);
      process.stdout.write(`margin listening on ${gw.url} (ledger: ${config.db})\n`);
      const stop = () => {
        // Finish in-flight requests and commit every queued ledger row before exiting.
        gw.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
