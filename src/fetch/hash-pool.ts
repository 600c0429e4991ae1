import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PatchdiscError } from '../errors.ts';

/** Size of one block handed to a hash worker: big enough that messages cost nothing next to hashing. */
export const HASH_BLOCK_SIZE = 1 << 20;
/** Workers at most: SHA-1 + SHA-256 keep up with a fast link well before that. */
const MAX_WORKERS = 4;
/** Free blocks kept for reuse; more are left to the garbage collector. */
const MAX_FREE_BLOCKS = 32;
/**
 * Bytes per write(2) when a worker writes a block. On the reference VM (2 cores, free memory handed
 * back to the host) a large write fills the page cache with large folios taken fresh, at a fraction
 * of memory speed: the 2 GiB download bench spent ~5.5 s of system time with 1 MiB writes against
 * ~3 s with 32 KiB ones (6.4 s against 9.0 s wall); curl writes 16 KiB at a time.
 */
export const WRITE_PIECE_SIZE = 32 * 1024;

export interface Digests {
  sha1: string;
  sha256: string;
}

/*
 * The worker's whole program, run with `eval` so that it loads the same way under tsx, vitest and a
 * tsc build (a .ts worker file would need the TypeScript loader inside the worker). Blocks of one
 * session arrive in order on one port, so each session's hashes see its bytes in order; every block
 * goes back to the main thread for reuse. A 'write' block is written to the file first, in plain
 * synchronous write(2) calls of WRITE_PIECE_SIZE (this thread has nothing else to do meanwhile), and
 * only hashed once every byte of it is written; a failed write leaves the hash as it was.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { writeSync } = require('node:fs');
const PIECE = ${WRITE_PIECE_SIZE};
const sessions = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update' || m.op === 'write') {
    let s = sessions.get(m.id);
    if (s === undefined) {
      s = { sha1: createHash('sha1'), sha256: createHash('sha256') };
      sessions.set(m.id, s);
    }
    const view = new Uint8Array(m.buffer, 0, m.length);
    let error;
    if (m.op === 'write') {
      try {
        for (let done = 0; done < m.length; ) done += writeSync(m.fd, view, done, Math.min(PIECE, m.length - done), m.position + done);
      } catch (err) {
        error = { code: String(err.code), message: String(err.message) };
      }
    }
    if (error === undefined) {
      s.sha1.update(view);
      s.sha256.update(view);
    }
    const op = m.op === 'write' ? 'written' : 'updated';
    parentPort.postMessage({ op, id: m.id, buffer: m.buffer, length: m.length, error }, [m.buffer]);
  } else if (m.op === 'digest') {
    const s = sessions.get(m.id) ?? { sha1: createHash('sha1'), sha256: createHash('sha256') };
    sessions.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, sha1: s.sha1.digest('hex'), sha256: s.sha256.digest('hex') });
  } else if (m.op === 'drop') {
    sessions.delete(m.id);
  }
});
`;

type Reply =
  | { op: 'updated'; id: number; buffer: ArrayBuffer; length: number }
  | { op: 'written'; id: number; buffer: ArrayBuffer; length: number; error?: { code: string; message: string } }
  | { op: 'digest'; id: number; sha1: string; sha256: string };

type Message =
  | { op: 'update'; id: number; buffer: ArrayBuffer; length: number }
  | { op: 'write'; id: number; buffer: ArrayBuffer; length: number; fd: number; position: number }
  | { op: 'digest' | 'drop'; id: number };

interface SessionState {
  backlog: number;
  onUpdated: (() => void) | undefined;
  onDigest: ((d: Digests) => void) | undefined;
  onFail: ((err: Error) => void) | undefined;
  /** Writes posted and not answered, oldest first. */
  writes: { resolve: () => void; reject: (err: Error) => void }[];
}

/** The failed write(2) of a worker as an Error with its errno code (ENOSPC, EFBIG, ...). */
function writeError(e: { code: string; message: string }): Error {
  return Object.assign(new Error(e.message), { code: e.code });
}

/** One worker thread; it keeps the process alive only while a reply is awaited. */
class HashWorker {
  readonly sessions = new Map<number, SessionState>();
  #worker: Worker;
  #outstanding = 0;
  #failure: Error | undefined;
  readonly #release: (buffer: ArrayBuffer) => void;

  constructor(release: (buffer: ArrayBuffer) => void) {
    this.#release = release;
    this.#worker = new Worker(WORKER_SOURCE, { eval: true });
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => this.#onReply(m));
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`the hash worker exited with code ${code}`)));
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  #expect(): void {
    if (this.#outstanding === 0) this.#worker.ref();
    this.#outstanding += 1;
  }

  #settle(): void {
    this.#outstanding -= 1;
    if (this.#outstanding === 0) this.#worker.unref();
  }

  #onReply(m: Reply): void {
    this.#settle();
    const session = this.sessions.get(m.id);
    if (m.op === 'updated') {
      this.#release(m.buffer);
      if (session === undefined) return;
      session.backlog -= m.length;
      session.onUpdated?.();
    } else if (m.op === 'written') {
      this.#release(m.buffer);
      const write = session?.writes.shift();
      if (m.error === undefined) write?.resolve();
      else write?.reject(writeError(m.error));
    } else {
      this.sessions.delete(m.id);
      session?.onDigest?.({ sha1: m.sha1, sha256: m.sha256 });
    }
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    this.#worker.unref();
    for (const session of this.sessions.values()) {
      session.onFail?.(err);
      for (const write of session.writes.splice(0)) {
        write.reject(new PatchdiscError('INTERNAL', `Cannot write the download: ${err.message}; rerun, the partial download resumes`, { cause: err }));
      }
    }
  }

  check(): void {
    if (this.#failure !== undefined) {
      throw new PatchdiscError('INTERNAL', `Cannot hash the download: ${this.#failure.message}; rerun, the partial download resumes`, { cause: this.#failure });
    }
  }

  post(message: Message): void {
    this.check();
    if (message.op === 'update' || message.op === 'write') {
      this.#expect();
      this.#worker.postMessage(message, [message.buffer]);
    } else {
      if (message.op === 'digest') this.#expect();
      this.#worker.postMessage(message);
    }
  }
}

/**
 * SHA-1 and SHA-256 of one byte stream, computed on a worker thread so hashing overlaps the
 * network and disk work of the main thread. Blocks are hashed in the order they are given.
 */
export class HashSession {
  readonly #worker: HashWorker;
  readonly #id: number;
  readonly #state: SessionState = { backlog: 0, onUpdated: undefined, onDigest: undefined, onFail: undefined, writes: [] };
  #done = false;

  constructor(worker: HashWorker, id: number) {
    this.#worker = worker;
    this.#id = id;
    worker.sessions.set(id, this.#state);
  }

  /** Bytes given but not yet hashed. */
  get backlog(): number {
    return this.#state.backlog;
  }

  /** Hashes `block[0, length)`; the block's memory is handed over (use blocks from `takeBlock`). */
  update(block: Buffer, length: number): void {
    if (length === 0) return;
    this.#state.backlog += length;
    this.#worker.post({ op: 'update', id: this.#id, buffer: block.buffer as ArrayBuffer, length });
  }

  /**
   * Writes `block[0, length)` to `fd` at `position` on the worker, then hashes it there; resolves once
   * both are done, rejects with the errno error of a failed write (nothing of the block is hashed
   * then). The block's memory is handed over, like `update`; wait for one write before the next.
   */
  write(block: Buffer, length: number, fd: number, position: number): Promise<void> {
    if (length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.#state.writes.push({ resolve, reject }));
    try {
      this.#worker.post({ op: 'write', id: this.#id, buffer: block.buffer as ArrayBuffer, length, fd, position });
    } catch (err) {
      this.#state.writes.pop();
      return Promise.reject(err as Error);
    }
    return done;
  }

  /** Resolves once no more than `limit` bytes wait to be hashed. */
  async waitBelow(limit: number): Promise<void> {
    while (this.#state.backlog > limit) {
      await new Promise<void>((resolve, reject) => {
        this.#state.onUpdated = resolve;
        this.#state.onFail = reject;
      }).catch((err: unknown) => {
        throw new PatchdiscError('INTERNAL', `Cannot hash the download: ${(err as Error).message}; rerun, the partial download resumes`, { cause: err });
      });
    }
    this.#worker.check();
  }

  /** The digests of every byte given; the session ends. */
  async digest(): Promise<Digests> {
    this.#done = true;
    const result = new Promise<Digests>((resolve, reject) => {
      this.#state.onDigest = resolve;
      this.#state.onFail = reject;
    });
    this.#worker.post({ op: 'digest', id: this.#id });
    try {
      return await result;
    } catch (err) {
      throw new PatchdiscError('INTERNAL', `Cannot hash the download: ${(err as Error).message}; rerun, the partial download resumes`, { cause: err });
    }
  }

  /** Forgets the hash state (no digest wanted). */
  drop(): void {
    if (this.#done) return;
    this.#done = true;
    this.#worker.sessions.delete(this.#id);
    if (!this.#worker.failed) this.#worker.post({ op: 'drop', id: this.#id });
  }
}

/** Worker threads that hash downloads; sessions go to the worker with the fewest open ones. */
export class HashPool {
  readonly #workers: HashWorker[] = [];
  readonly #size: number;
  readonly #free: ArrayBuffer[] = [];
  #nextId = 1;

  constructor(size = Math.min(MAX_WORKERS, availableParallelism())) {
    this.#size = Math.max(1, size);
  }

  /** A block of HASH_BLOCK_SIZE bytes that owns its whole ArrayBuffer (so it can be handed over). */
  takeBlock(): Buffer {
    const buffer = this.#free.pop() ?? new ArrayBuffer(HASH_BLOCK_SIZE);
    return Buffer.from(buffer, 0, HASH_BLOCK_SIZE);
  }

  #release = (buffer: ArrayBuffer): void => {
    if (buffer.byteLength === HASH_BLOCK_SIZE && this.#free.length < MAX_FREE_BLOCKS) this.#free.push(buffer);
  };

  /** A new, empty session. */
  open(): HashSession {
    for (let i = this.#workers.length - 1; i >= 0; i -= 1) {
      if (this.#workers[i]?.failed === true) this.#workers.splice(i, 1);
    }
    if (this.#workers.length < this.#size) this.#workers.push(new HashWorker(this.#release));
    let best = this.#workers[0] as HashWorker;
    for (const w of this.#workers) if (w.sessions.size < best.sessions.size) best = w;
    const id = this.#nextId;
    this.#nextId += 1;
    return new HashSession(best, id);
  }
}

let shared: HashPool | undefined;

/** The process-wide pool, started on first use; idle workers do not keep the process alive. */
export function sharedHashPool(): HashPool {
  shared ??= new HashPool();
  return shared;
}
