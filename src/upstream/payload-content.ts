import { createHash } from 'node:crypto';

/*
 * Deterministic pseudo-random payload bytes. Content is addressed by (seed, key, size) and generated
 * in fixed chunks, each from its own PRNG state, so any byte range can be produced without the bytes
 * before it and a whole file never has to sit in memory.
 */

/** Bytes per independently seeded chunk. */
export const PAYLOAD_CHUNK_SIZE = 64 * 1024;
const WORD_BYTES = 4;

export interface PayloadSpec {
  seed: number;
  /** Stable identity of the file's content, e.g. "cu:win10-22h2:x64:m0". */
  key: string;
  size: number;
}

/** The bytes of chunk `index` (the last chunk may be short). */
export function payloadChunk(spec: PayloadSpec, index: number): Buffer {
  const start = index * PAYLOAD_CHUNK_SIZE;
  const length = Math.max(0, Math.min(PAYLOAD_CHUNK_SIZE, spec.size - start));
  const words = new Uint32Array(Math.ceil(length / WORD_BYTES));
  // xorshift128, seeded from SHA-256 of the chunk's identity: fast and reproducible everywhere.
  const state = createHash('sha256').update(`${spec.seed}\0${spec.key}\0${index}`).digest();
  let x = state.readUInt32LE(0) | 1;
  let y = state.readUInt32LE(4);
  let z = state.readUInt32LE(8);
  let w = state.readUInt32LE(12);
  for (let i = 0; i < words.length; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = w ^ (w >>> 19) ^ (t ^ (t >>> 8));
    words[i] = w;
  }
  return Buffer.from(words.buffer, 0, length);
}

/** Yields the bytes [start, end) of the payload in chunks of at most PAYLOAD_CHUNK_SIZE. */
export function* payloadRange(spec: PayloadSpec, start = 0, end = spec.size): Generator<Buffer> {
  let at = start;
  while (at < end) {
    const index = Math.floor(at / PAYLOAD_CHUNK_SIZE);
    const chunk = payloadChunk(spec, index);
    const chunkStart = index * PAYLOAD_CHUNK_SIZE;
    const slice = chunk.subarray(at - chunkStart, Math.min(chunk.length, end - chunkStart));
    yield slice;
    at += slice.length;
  }
}

export interface PayloadDigests {
  sha1: Buffer;
  sha256: Buffer;
}

const digestCache = new Map<string, PayloadDigests>();

/** SHA-1 and SHA-256 of the whole payload (memoised: content never changes for a spec). */
export function payloadDigests(spec: PayloadSpec): PayloadDigests {
  const cacheKey = `${spec.seed}\0${spec.key}\0${spec.size}`;
  const cached = digestCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const sha1 = createHash('sha1');
  const sha256 = createHash('sha256');
  for (const chunk of payloadRange(spec)) {
    sha1.update(chunk);
    sha256.update(chunk);
  }
  const digests = { sha1: sha1.digest(), sha256: sha256.digest() };
  digestCache.set(cacheKey, digests);
  return digests;
}
