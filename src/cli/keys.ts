import type { Command } from 'commander';
import { createVirtualKey } from '../identity/virtual-keys.js';
import { presentKey } from '../ledger/present.js';
import { type StoreFlags, withStore } from './context.js';
import { table } from './table.js';

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('create, list and revoke virtual keys');
  keys
    .command('create')
    .description('create a virtual key; prints the key (shown once: only its hash is stored)')
    .option('--customer <id>', 'the customer this key bills')
    .option('--app', 'an app key: each request names its customer in x-margin-customer')
    .option('--name <name>', 'a label for the key')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: StoreFlags & { customer?: string; app?: boolean; name?: string }) => {
      if (!o.app && !o.customer) throw new Error('--customer: required (or pass --app for an app key)');
      await withStore(o, async (store) => {
        const { key, record } = await createVirtualKey(store, {
          kind: o.app ? 'app' : 'customer',
          customer: o.customer,
          name: o.name,
          now: Date.now(),
        });
        process.stdout.write(`${key}\n`);
        process.stderr.write(
          `created ${record.kind} key ${record.id} (${record.prefix}…)${record.customer ? ` for customer ${record.customer}` : ''}\n`,
        );
      });
    });
  keys
    .command('list')
    .description('list keys (never the secrets)')
    .option('--customer <id>', 'only this customer')
    .option('--all', 'include revoked keys')
    .option('--json', 'JSON output')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: StoreFlags & { customer?: string; all?: boolean; json?: boolean }) => {
      await withStore(o, async (store) => {
        const list = (await store.listKeys({ customer: o.customer, includeRevoked: o.all })).map(presentKey);
        if (o.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        const rows = list.map((k) => [
          k.id,
          `${k.prefix}…`,
          k.kind,
          k.customer ?? '-',
          k.name ?? '-',
          k.created_at,
          k.revoked_at ?? '-',
        ]);
        process.stdout.write(
          `${table(['id', 'prefix', 'kind', 'customer', 'name', 'created', 'revoked'], rows)}\n`,
        );
      });
    });
  keys
    .command('revoke')
    .description('revoke a key by id or prefix; takes effect on the next request')
    .argument('<id>', 'key id (key_…) or prefix (mk_…)')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (id: string, o: StoreFlags) => {
      await withStore(o, async (store) => {
        const k = await store.revokeKey(id, Date.now());
        if (!k) throw new Error(`key: no key with id or prefix ${id}`);
        process.stdout.write(`revoked ${k.id} (${k.prefix}…)\n`);
      });
    });
}
