// Child-process management for the benchmark: every target runs in its own process so that its CPU
// time and memory can be read from /proc/<pid>. All children are killed on exit, error or signal.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const children = new Set();

/** Ask the kernel for a free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawn `node <args>` and resolve once a stdout/stderr line matches `ready` (a RegExp).
 * Rejects (and kills the child) if it exits first or `timeoutMs` passes.
 */
export function startNode(name, args, { env = {}, ready, timeoutMs = 20_000, cwd } = {}) {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = { name, child, pid: child.pid, log: [], exited: false };
  children.add(handle);
  const keep = (line) => {
    handle.log.push(line);
    if (handle.log.length > 60) handle.log.shift();
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        stop(handle);
        reject(new Error(`${name}: ${err}\n--- last output ---\n${handle.log.join('\n')}`));
      } else resolve(handle);
    };
    const timer = setTimeout(() => finish(`not ready after ${timeoutMs} ms`), timeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buf += chunk;
        let nl = buf.indexOf('\n');
        while (nl !== -1) {
          const line = buf.slice(0, nl).replace(/\r/g, '');
          buf = buf.slice(nl + 1);
          keep(line);
          if (!done && ready?.test(line)) {
            handle.readyLine = line;
            finish();
          }
          nl = buf.indexOf('\n');
        }
        if (buf.length > 65_536) buf = buf.slice(-65_536);
      });
    }
    child.on('error', (err) => finish(`spawn failed: ${err.message}`));
    child.on('exit', (code, signal) => {
      handle.exited = true;
      children.delete(handle);
      finish(`exited early (code ${code}, signal ${signal})`);
    });
    if (!ready) setImmediate(() => finish());
  });
}

/**
 * Run `node <args>` to completion (killed with the other children on exit, error or signal); resolves
 * its whole stdout, rejects with the end of its stderr if it fails or outlives `timeoutMs`.
 */
export function runNode(name, args, { timeoutMs = 600_000, cwd } = {}) {
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const handle = { name, child, pid: child.pid, log: [], exited: false };
  children.add(handle);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c) => {
    stderr = (stderr + c).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => reject(new Error(`${name}: spawn failed: ${err.message}`)));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      handle.exited = true;
      children.delete(handle);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${name} exited with code ${code}, signal ${signal}: ${stderr.trim()}`));
    });
  });
}

/** Poll `GET http://127.0.0.1:port<path>` until it answers `status` (bounded by timeoutMs). */
export async function waitForHttp(port, path, { status = 200, timeoutMs = 20_000, headers = {} } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const got = await new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path, headers, timeout: 1000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
      if (got === status) return;
      last = `status ${got}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GET 127.0.0.1:${port}${path} did not return ${status} within ${timeoutMs} ms (${last})`);
}

/** Stop one child: SIGTERM, then SIGKILL after graceMs. Only ever signals the pid we spawned. */
export function stop(handle, graceMs = 5000) {
  return new Promise((resolve) => {
    if (!handle || handle.exited || handle.child.exitCode !== null || handle.child.signalCode !== null) {
      children.delete(handle);
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      try {
        handle.child.kill('SIGKILL');
      } catch {}
    }, graceMs);
    handle.child.once('exit', () => {
      clearTimeout(timer);
      children.delete(handle);
      resolve();
    });
    try {
      handle.child.kill('SIGTERM');
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

export async function stopAll() {
  await Promise.all([...children].map((h) => stop(h)));
}

/** Synchronous last resort, safe inside process.on('exit'). */
export function killAllSync() {
  for (const h of children) {
    try {
      h.child.kill('SIGKILL');
    } catch {}
  }
  children.clear();
}

/** VmRSS / VmHWM (bytes) and utime+stime (clock ticks) of a live pid, from /proc. */
export function procStats(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => {
    const m = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : null;
  };
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes comm: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), cpuTicks: ticks };
}

/** Local addresses a pid's process listens on for `port`, from /proc/net/tcp{,6} (no traffic sent). */
export function listenAddresses(port) {
  const out = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue; // 0A = LISTEN
      const [hexAddr, hexPort] = cols[1].split(':');
      if (Number.parseInt(hexPort, 16) !== port) continue;
      out.push(decodeAddr(hexAddr));
    }
  }
  return out;
}

function decodeAddr(hex) {
  if (hex.length === 8) {
    return [3, 2, 1, 0].map((i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  if (/^0+$/.test(hex)) return '::';
  if (hex === '00000000000000000000000001000000') return '::1';
  if (hex.startsWith('0000000000000000FFFF0000')) return `::ffff:${decodeAddr(hex.slice(24))}`;
  return hex;
}
