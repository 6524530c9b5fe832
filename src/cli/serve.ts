import type { Command } from 'commander';
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
      const config = await configFrom(o);
      // Loaded here, not at the top: other commands never pay for the gateway's import graph.
      const { startGateway } = await import('../gateway.js');
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
