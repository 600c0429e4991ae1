/**
 * A worker thread that works on ImageSink's buffers: SharedArrayBuffers handed to it once, so a
 * request names a buffer by index and nothing is copied or transferred. The worker's program is a
 * CommonJS source run with `eval`, so it loads the same way under tsx, vitest and the compiled dist/
 * (as src/fetch/hash-pool.ts does). It must answer every message but the first (the buffers) with
 * exactly one reply, in order, so replies are matched to requests by position.
 */
import { Worker } from 'node:worker_threads';

interface Waiter {
  resolve: (reply: unknown) => void;
  reject: (err: Error) => void;
}

export class BufferWorker {
  readonly worker: Worker;
  readonly #waiting: Waiter[] = [];
  #failure: Error | undefined;

  /** Starts `source` and gives it `buffers` as `{ op: 'buffers', buffers }`. */
  constructor(
    source: string,
    buffers: readonly SharedArrayBuffer[],
    private readonly describe: (failure: Error) => Error,
  ) {
    this.worker = new Worker(source, { eval: true });
    // Idle, it does not keep the process alive; a pending request does (see `request`).
    this.worker.unref();
    this.worker.on('message', (reply: unknown) => this.#waiting.shift()?.resolve(reply));
    this.worker.on('error', (err) => this.#fail(err));
    this.worker.on('exit', (code) => this.#fail(new Error(`the worker thread exited with code ${code}`)));
    this.worker.postMessage({ op: 'buffers', buffers });
  }

  /** Posts `message` and resolves with the worker's reply to it. */
  request(message: object): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.describe(this.#failure));
    return new Promise<unknown>((resolve, reject) => {
      if (this.#waiting.length === 0) this.worker.ref();
      this.#waiting.push({
        resolve: (reply) => {
          if (this.#waiting.length === 0) this.worker.unref();
          resolve(reply);
        },
        reject,
      });
      this.worker.postMessage(message);
    });
  }

  /** Ends the worker; requests still pending fail. */
  async terminate(): Promise<void> {
    this.#fail(new Error('the worker thread was stopped'));
    await this.worker.terminate();
  }

  #fail(err: Error): void {
    if (this.#failure !== undefined) return;
    this.#failure = err;
    this.worker.unref();
    const error = this.describe(err);
    for (const w of this.#waiting.splice(0)) w.reject(error);
  }
}
