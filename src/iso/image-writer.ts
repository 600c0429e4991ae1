/**
 * The writes of an image, made on a worker thread from ImageSink's shared buffers, in pieces of
 * WRITE_CHUNK_SIZE with plain synchronous write(2) calls.
 *
 * Why (measured on the reference machine, a 2-core VM whose free memory goes back to the host):
 * Linux 6.x backs the page cache of one large write with large folios, and those, freshly taken
 * after a big file was deleted, filled at a fraction of memory speed: 2 GiB in 3.2-4.9 s with
 * 512 KiB-4 MiB writes against 0.5-1.1 s with 32 KiB writes (dd and node, after rm + sync), which is
 * also what genisoimage writes. 65,536 writes per 2 GiB cost too much as promises on the main
 * thread (one threadpool round trip each); as a loop of synchronous calls on a thread of their own
 * they cost little, and they leave the main thread free to issue reads.
 */
import { PatchdiscError } from '../errors.ts';
import { BufferWorker } from './buffer-worker.ts';

/** Bytes per write(2). */
export const WRITE_CHUNK_SIZE = 32 * 1024;

/* The worker's program (see BufferWorker): a reply is null, or the failed write's code and message. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const CHUNK = ${WRITE_CHUNK_SIZE};
let views = [];
parentPort.on('message', (m) => {
  if (m.op === 'buffers') {
    views = m.buffers.map((b) => new Uint8Array(b));
    return;
  }
  const view = views[m.slot];
  let done = 0;
  try {
    while (done < m.length) {
      const n = writeSync(m.fd, view, done, Math.min(CHUNK, m.length - done), m.position + done);
      if (n === 0) throw new Error('short write: ' + done + ' of ' + m.length + ' bytes at byte ' + m.position);
      done += n;
    }
    parentPort.postMessage(null);
  } catch (err) {
    parentPort.postMessage({ code: err.code, message: err.message });
  }
});
`;

/** Writes to one open file descriptor from a worker thread, one request at a time, in order. */
export class ImageWriter {
  readonly #worker: BufferWorker;

  /** Starts the worker over `buffers`, the memory `write` names by index. */
  constructor(
    private readonly fd: number,
    buffers: readonly SharedArrayBuffer[],
  ) {
    this.#worker = new BufferWorker(WORKER_SOURCE, buffers, (failure) => new PatchdiscError('INTERNAL', `Cannot write the image: ${failure.message}; write it again`, { cause: failure }));
  }

  /**
   * Writes `buffers[slot][0, length)` at byte `position`; the buffer must not change until the
   * promise settles. A failed write rejects with an Error carrying the system's `code` (ENOSPC, …).
   */
  async write(slot: number, length: number, position: number): Promise<void> {
    const reply = (await this.#worker.request({ op: 'write', fd: this.fd, slot, length, position })) as { code?: string; message: string } | null;
    if (reply !== null) throw Object.assign(new Error(reply.message), { code: reply.code });
  }

  /** Ends the worker once no write is pending (or at once, failing the pending ones). */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}
