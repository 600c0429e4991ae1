/**
 * The SHA-256 of an image, computed on a worker thread. ImageSink's buffers are SharedArrayBuffers
 * handed to the worker once, so the worker hashes the very memory the source reads landed in (no
 * copy, no transfer) while the main thread and the threadpool go on reading and writing. Buffers are
 * hashed in the order they are given, which ImageSink keeps to image order.
 *
 * Why a thread (measured on the reference machine, bench `master`): SHA-256 runs at ~1.9 GB/s, about
 * as long as genisoimage takes to copy the whole tree; on the main thread it adds to the copy, on its
 * own core it overlaps it.
 */
import type { Worker } from 'node:worker_threads';
import { PatchdiscError } from '../errors.ts';
import { BufferWorker } from './buffer-worker.ts';
import type { IsoHashCheckpoint } from './write-iso.ts';

/* The worker's program (see BufferWorker); saved is the hash state at the checkpoint. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
let hash = createHash('sha256');
let views = [];
let saved;
const bases = new Map();
const zero = new Uint8Array(65536);
parentPort.on('message', (m) => {
  if (m.op === 'buffers') {
    views = m.buffers.map((b) => new Uint8Array(b));
  } else if (m.op === 'update') {
    const view = views[m.slot].subarray(0, m.length);
    if (m.cut >= 0) {
      hash.update(view.subarray(0, m.cut));
      saved = hash.copy();
      hash.update(view.subarray(m.cut));
    } else {
      hash.update(view);
    }
    parentPort.postMessage(null);
  } else if (m.op === 'digest') {
    views = [];
    parentPort.postMessage(hash.digest('hex'));
  } else if (m.op === 'digestWith') {
    const h = saved.copy();
    for (const part of m.rest) h.update(part);
    parentPort.postMessage(h.digest('hex'));
  } else if (m.op === 'base') {
    bases.set(m.id, m.bytes);
    parentPort.postMessage(null);
  } else if (m.op === 'digestPatched') {
    // As tail-patch.ts forEachPatchedPiece: the base with the patches over it, then zeros.
    const h = saved.copy();
    const base = bases.get(m.id);
    let at = 0;
    for (const [pat, data] of m.patches) {
      if (pat > at) h.update(base.subarray(at, pat));
      h.update(data);
      at = pat + data.length;
    }
    if (at < base.length) h.update(base.subarray(at));
    for (let left = m.zeros; left > 0; left -= zero.length) h.update(zero.subarray(0, Math.min(left, zero.length)));
    parentPort.postMessage(h.digest('hex'));
  }
});
`;

type Request =
  | { op: 'update'; slot: number; length: number; cut: number }
  | { op: 'digest' }
  | { op: 'digestWith'; rest: readonly Uint8Array[] }
  | { op: 'base'; id: number; bytes: Uint8Array }
  | { op: 'digestPatched'; id: number; patches: [number, Uint8Array][]; zeros: number };

/** A checkpoint's worker is ended once the checkpoint itself is garbage. */
const checkpointWorkers = new FinalizationRegistry<Worker>((worker) => {
  void worker.terminate();
});

/**
 * One image's hash on its own worker thread. The worker keeps the process alive only while a reply
 * is awaited; it ends after `digest()` unless a checkpoint was taken, which then owns it.
 */
export class ImageHasher {
  readonly #worker: BufferWorker;
  #checkpointAt: number | undefined;
  /** Bases sent to the worker for digestPatched, by identity. */
  readonly #bases = new Map<Uint8Array, number>();
  #finished = false;

  /** Starts the worker over `buffers`, the memory `update` names by index. */
  constructor(buffers: readonly SharedArrayBuffer[]) {
    this.#worker = new BufferWorker(WORKER_SOURCE, buffers, (failure) => {
      const what = this.#finished ? 'finish the image hash from its checkpoint' : 'hash the image';
      return new PatchdiscError('INTERNAL', `Cannot ${what}: ${failure.message}; write the image again`, { cause: failure });
    });
  }

  /**
   * Hashes `buffers[slot][0, length)`, which must not change until the promise settles. With
   * `checkpoint`, the hash state after the first `checkpoint.cut` of these bytes is kept for
   * `checkpoint()`; `checkpoint.offset` is that point's image offset.
   */
  async update(slot: number, length: number, checkpoint?: { cut: number; offset: number }): Promise<void> {
    if (checkpoint !== undefined) this.#checkpointAt = checkpoint.offset;
    await this.#request({ op: 'update', slot, length, cut: checkpoint?.cut ?? -1 });
  }

  /** The SHA-256 (hex) of every byte given; the worker ends unless a checkpoint was taken. */
  async digest(): Promise<string> {
    this.#finished = true;
    const hex = await this.#request({ op: 'digest' });
    if (this.#checkpointAt === undefined) await this.terminate();
    return hex as string;
  }

  /** The checkpoint taken by `update`, if any; it keeps the worker until it is garbage collected. */
  checkpoint(): IsoHashCheckpoint | undefined {
    const offset = this.#checkpointAt;
    if (offset === undefined) return undefined;
    const checkpoint: IsoHashCheckpoint = {
      offset,
      // A copy of each part goes with the message; the caller's buffers stay its own.
      digestWith: async (rest) => (await this.#request({ op: 'digestWith', rest: [...rest] })) as string,
      digestPatched: async (base, patches, zeros) => {
        // The base (a group master's tail) crosses to the worker once; each image sends its patches.
        let id = this.#bases.get(base);
        if (id === undefined) {
          id = this.#bases.size + 1;
          this.#bases.set(base, id);
          await this.#request({ op: 'base', id, bytes: base });
        }
        return (await this.#request({ op: 'digestPatched', id, patches: patches.map((p) => [p.at, p.data]), zeros })) as string;
      },
    };
    checkpointWorkers.register(checkpoint, this.#worker.worker);
    return checkpoint;
  }

  /** Ends the worker (after a failure, or when no checkpoint needs it); pending requests fail. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #request(message: Request): Promise<unknown> {
    return this.#worker.request(message);
  }
}
