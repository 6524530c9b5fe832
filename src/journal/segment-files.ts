import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The journal's files: numbered append-only segments in one directory, plus a lock naming the owning
 * process and a reserve file that is given up when the disk fills so in-flight calls can still be written.
 * All writes are plain write(2) calls: they survive a process kill (the page cache belongs to the kernel),
 * like SQLite's synchronous=NORMAL, with no fsync per line.
 */
export class Segment {
  fd: number | undefined;
  bytes = 0;
  /** Lines written here whose ops are not yet committed to the ledger (begins count until their settle is). */
  pending = 0;
  constructor(
    readonly seq: number,
    readonly path: string,
  ) {}
}

const SEGMENT = /^(\d{10})\.log$/;

export class SegmentFiles {
  private readonly lockPath: string;
  private readonly reservePath: string;

  constructor(
    readonly dir: string,
    private readonly reserveBytes: number,
  ) {
    this.lockPath = join(dir, 'lock');
    this.reservePath = join(dir, 'reserve');
  }

  /** Creates the directory and takes the lock; another live process holding it is an error naming it. */
  lock(): void {
    mkdirSync(this.dir, { recursive: true });
    if (existsSync(this.lockPath)) {
      const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new Error(
          `request journal ${this.dir} is in use by process ${pid}: run one gateway per ledger file`,
        );
    }
    writeFileSync(this.lockPath, `${process.pid}\n`);
  }

  unlock(): void {
    try {
      unlinkSync(this.lockPath);
    } catch {
      // already gone
    }
  }

  /** Existing segments, oldest first, with their text. */
  readAll(): { seg: Segment; text: string }[] {
    const names = readdirSync(this.dir)
      .filter((n) => SEGMENT.test(n))
      .sort();
    return names.map((n) => {
      const seg = new Segment(Number(SEGMENT.exec(n)?.[1]), join(this.dir, n));
      return { seg, text: readFileSync(seg.path, 'utf8') };
    });
  }

  create(seq: number): Segment {
    const seg = new Segment(seq, join(this.dir, `${String(seq).padStart(10, '0')}.log`));
    seg.fd = openSync(seg.path, 'a');
    return seg;
  }

  /** Appends one line; throws on a short or failed write (the caller moves to a fresh segment). */
  append(seg: Segment, line: string): void {
    if (seg.fd === undefined) throw new Error('journal segment is closed');
    // The string goes to write(2) as is: no Buffer per line (half the cost of a small write).
    const n = writeSync(seg.fd, line);
    seg.bytes += n;
    if (n !== Buffer.byteLength(line))
      throw Object.assign(new Error('short write to the request journal'), { code: 'ENOSPC' });
  }

  close(seg: Segment): void {
    if (seg.fd === undefined) return;
    try {
      closeSync(seg.fd);
    } catch {
      // nothing to do: the data already reached the kernel
    }
    seg.fd = undefined;
  }

  remove(seg: Segment): void {
    this.close(seg);
    try {
      unlinkSync(seg.path);
    } catch {
      // already removed
    }
  }

  /** Holds back some disk space for the journal; false when it cannot (the disk is full). */
  holdReserve(): boolean {
    if (this.reserveBytes === 0 || existsSync(this.reservePath)) return true;
    try {
      writeFileSync(this.reservePath, Buffer.alloc(this.reserveBytes));
      return true;
    } catch {
      try {
        unlinkSync(this.reservePath);
      } catch {
        // never created
      }
      return false;
    }
  }

  /** Frees the held space; true if there was some to free. */
  releaseReserve(): boolean {
    try {
      unlinkSync(this.reservePath);
      return true;
    } catch {
      return false;
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
