import { open } from 'node:fs/promises';

interface Waiter {
  paths: readonly string[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** fsync one path (a directory or a file; opened read-only, which Linux allows for fsync). */
async function syncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Group commit of fsyncs: callers ask for paths (directories a file was renamed into, the record log)
 * to be made durable, and every request that arrives while a round runs is served by the next round,
 * each path once, all at once. On ext4 the fsyncs of one round end in one journal commit, so four
 * downloads finishing together wait for one commit instead of queueing for four.
 */
export class SyncBatch {
  #next = new Set<string>();
  #waiters: Waiter[] = [];
  #running = false;

  /** Resolves once every path was fsynced by a round that started after this call. */
  sync(paths: Iterable<string>): Promise<void> {
    const wanted = [...paths];
    for (const p of wanted) this.#next.add(p);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ paths: wanted, resolve, reject }));
    // Started on a later tick so that callers of this tick share the round.
    if (!this.#running) {
      this.#running = true;
      queueMicrotask(() => void this.#round());
    }
    return done;
  }

  async #round(): Promise<void> {
    const paths = [...this.#next];
    const waiters = this.#waiters;
    this.#next = new Set();
    this.#waiters = [];
    const failures = new Map<string, unknown>();
    await Promise.all(paths.map((p) => syncPath(p).catch((err: unknown) => void failures.set(p, err))));
    for (const w of waiters) {
      // A caller fails only for a path of its own.
      const mine = w.paths.find((p) => failures.has(p));
      if (mine === undefined) w.resolve();
      else w.reject(failures.get(mine));
    }
    if (this.#waiters.length > 0) void this.#round();
    else this.#running = false;
  }
}
