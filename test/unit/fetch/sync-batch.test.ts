import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SyncBatch } from '../../../src/fetch/sync-batch.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { rejection } from '../../helpers/rejection.ts';

describe('SyncBatch', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it('fsyncs the directories asked for, callers of one moment sharing a round', async () => {
    const dirs = ['a', 'b', 'c'].map((n) => join(temp.dir, n));
    for (const d of dirs) mkdirSync(d);
    const batch = new SyncBatch();
    await expect(Promise.all([batch.sync([dirs[0] as string]), batch.sync(dirs), batch.sync([])])).resolves.toEqual([undefined, undefined, undefined]);
    await expect(batch.sync([dirs[2] as string])).resolves.toBeUndefined();
  });

  it('fails only the callers whose own path could not be synced', async () => {
    const good = join(temp.dir, 'good');
    mkdirSync(good);
    const batch = new SyncBatch();
    const [ok, missing] = await Promise.allSettled([batch.sync([good]), batch.sync([good, join(temp.dir, 'gone')])]);
    expect(ok.status).toBe('fulfilled');
    expect(missing.status).toBe('rejected');
    expect(((await rejection(batch.sync([join(temp.dir, 'gone')]))) as NodeJS.ErrnoException).code).toBe('ENOENT');
    await expect(batch.sync([good])).resolves.toBeUndefined();
  });
});
