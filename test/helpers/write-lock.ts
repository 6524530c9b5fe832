import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { ROOT } from './cli.js';

// Runs in its own process: takes the ledger's write lock (BEGIN IMMEDIATE) and holds it until stdin
// closes, as a `margin` CLI, a backup or a second gateway mid-transaction would.
const HOLDER = `
import Database from 'better-sqlite3';
const db = new Database(process.env.LOCK_DB);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN IMMEDIATE');
db.exec("UPDATE control SET v = v WHERE k = 'revision'");
process.stdout.write('locked\\n');
const release = () => { db.exec('ROLLBACK'); db.close(); process.exit(0); };
process.stdin.on('data', () => {});
process.stdin.on('end', release);
setTimeout(release, 60_000); // never outlive a failed test by long
`;

export interface WriteLock {
  /** Rolls back and waits for the holder to exit: the lock is free once this resolves. */
  release(): Promise<void>;
}

/** Another process holding the ledger file's write lock until release(). */
export async function holdWriteLock(db: string): Promise<WriteLock> {
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', HOLDER], {
    cwd: ROOT,
    env: { ...process.env, LOCK_DB: db },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('locked')) resolve();
    });
    void exited.then(() => reject(new Error(`lock holder exited before locking: ${out}`)));
  });
  return {
    async release() {
      child.stdin?.end();
      await exited;
    },
  };
}
