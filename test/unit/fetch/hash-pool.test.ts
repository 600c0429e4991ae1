import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HASH_BLOCK_SIZE, HashPool, WRITE_PIECE_SIZE } from '../../../src/fetch/hash-pool.ts';
import { rejection } from '../../helpers/rejection.ts';
import { makeTempDir } from '../../helpers/tools.ts';

function expected(data: Buffer): { sha1: string; sha256: string } {
  return { sha1: createHash('sha1').update(data).digest('hex'), sha256: createHash('sha256').update(data).digest('hex') };
}

describe('HashPool', () => {
  it('hashes interleaved sessions on two workers, each in the order its blocks were given', async () => {
    const pool = new HashPool(2);
    const inputs = [randomBytes(5 * HASH_BLOCK_SIZE + 3), randomBytes(2 * HASH_BLOCK_SIZE), randomBytes(17)];
    const sessions = inputs.map(() => pool.open());
    // Uneven pieces, handed out round-robin so that the sessions' blocks interleave on the workers.
    const offsets = inputs.map(() => 0);
    for (let round = 0; offsets.some((o, i) => o < (inputs[i]?.length ?? 0)); round += 1) {
      for (const [i, input] of inputs.entries()) {
        const at = offsets[i] ?? 0;
        if (at >= input.length) continue;
        const length = Math.min(input.length - at, 1 + ((round * 7919 + i * 104_729) % HASH_BLOCK_SIZE));
        const block = pool.takeBlock();
        input.copy(block, 0, at, at + length);
        sessions[i]?.update(block, length);
        offsets[i] = at + length;
      }
    }
    const digests = await Promise.all(sessions.map((s) => s.digest()));
    expect(digests).toEqual(inputs.map(expected));
  });

  it('starts a new session empty after another was dropped mid-stream', async () => {
    const pool = new HashPool(1);
    const dropped = pool.open();
    const block = pool.takeBlock();
    block.fill(1);
    dropped.update(block, HASH_BLOCK_SIZE);
    dropped.drop();
    const fresh = pool.open();
    const data = Buffer.from('patchdisc');
    const next = pool.takeBlock();
    data.copy(next);
    fresh.update(next, data.length);
    expect(await fresh.digest()).toEqual(expected(data));
    expect(await pool.open().digest()).toEqual(expected(Buffer.alloc(0)));
  });

  it('waits until the backlog falls below a limit', async () => {
    const pool = new HashPool(1);
    const session = pool.open();
    for (let i = 0; i < 4; i += 1) {
      const block = pool.takeBlock();
      block.fill(i);
      session.update(block, HASH_BLOCK_SIZE);
    }
    expect(session.backlog).toBe(4 * HASH_BLOCK_SIZE);
    await session.waitBelow(HASH_BLOCK_SIZE);
    expect(session.backlog).toBeLessThanOrEqual(HASH_BLOCK_SIZE);
    await session.digest();
  });

  it('write() puts each block at its position in the file, then hashes it', async () => {
    const temp = makeTempDir();
    const path = join(temp.dir, 'f.part');
    const fd = openSync(path, 'w');
    try {
      const pool = new HashPool(1);
      const session = pool.open();
      const data = randomBytes(2 * HASH_BLOCK_SIZE + WRITE_PIECE_SIZE + 5);
      for (let at = 0; at < data.length; at += HASH_BLOCK_SIZE) {
        const block = pool.takeBlock();
        const length = data.copy(block, 0, at, at + HASH_BLOCK_SIZE);
        await session.write(block, length, fd, at);
      }
      expect(readFileSync(path).equals(data)).toBe(true);
      expect(await session.digest()).toEqual(expected(data));
    } finally {
      closeSync(fd);
      temp.remove();
    }
  });

  it('write() rejects with the errno code of a failed write and leaves the block out of the hash', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const pool = new HashPool(1);
      const session = pool.open();
      const block = pool.takeBlock();
      block.fill(7);
      const err = (await rejection(session.write(block, 100, fd, 0))) as NodeJS.ErrnoException;
      expect(err.code).toBe('ENOSPC');
      expect(await session.digest()).toEqual(expected(Buffer.alloc(0)));
    } finally {
      closeSync(fd);
    }
  });
});
