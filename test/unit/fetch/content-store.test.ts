import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '../../../src/fetch/content-store.ts';
import type { StoredFileInfo } from '../../../src/fetch/content-store.ts';
import { makeTempDir } from '../../helpers/tools.ts';

function digest(algorithm: 'sha1' | 'sha256', data: Buffer): string {
  return createHash(algorithm).update(data).digest('hex');
}

describe('ContentStore', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: ContentStore;
  const stored: StoredFileInfo[] = [];

  async function put(data: Buffer): Promise<string> {
    await store.ensureDirs();
    const tmp = join(store.partialDir, 'x.part');
    await writeFile(tmp, data);
    const sha1 = digest('sha1', data);
    await store.commit(tmp, { sha1, sha256: digest('sha256', data), size: data.length, url: `http://example.test/${sha1}` });
    return sha1;
  }

  beforeEach(() => {
    temp = makeTempDir();
    stored.length = 0;
    store = new ContentStore(join(temp.dir, 'store'), { onStored: (info) => void stored.push(info), now: () => new Date('2026-01-05T10:00:00Z') });
  });
  afterEach(() => temp.remove());

  it('commit() places the file under sha1/<2>/<40>, writes the record and calls onStored', async () => {
    const data = randomBytes(1000);
    const sha1 = await put(data);
    expect(store.pathFor(sha1)).toBe(join(temp.dir, 'store', 'sha1', sha1.slice(0, 2), sha1));
    expect(store.pathFor(Buffer.from(sha1, 'hex').toString('base64'))).toBe(store.pathFor(sha1));
    expect(await store.has(sha1)).toBe(true);
    const info = await store.info(sha1);
    expect(info).toEqual({ sha1, sha256: digest('sha256', data), size: 1000, url: `http://example.test/${sha1}`, fetchedAt: '2026-01-05T10:00:00.000Z' });
    expect(stored).toEqual([info]);
    expect(await readdir(store.partialDir)).toEqual([]);
  });

  it('list() yields every stored record and remove() deletes file and record', async () => {
    const a = await put(randomBytes(10));
    const b = await put(randomBytes(20));
    const listed: string[] = [];
    for await (const info of store.list()) listed.push(info.sha1);
    expect(listed.sort()).toEqual([a, b].sort());
    await store.remove(a);
    expect(await store.has(a)).toBe(false);
    expect(await store.info(a)).toBeUndefined();
    expect(await store.has(b)).toBe(true);
  });

  it('verify() re-hashes every file and quarantines a corrupt one', async () => {
    const good = await put(randomBytes(5000));
    const bad = await put(randomBytes(5000));
    const damaged = randomBytes(5000);
    await writeFile(store.pathFor(bad), damaged);
    const progress: string[] = [];
    const report = await store.verify({ onProgress: (p) => progress.push(`${p.sha1}:${p.ok}`) });
    expect(report).toEqual({ checked: 2, corrupt: [{ sha1: bad, actual: digest('sha1', damaged) }] });
    expect(progress.sort()).toEqual([`${bad}:false`, `${good}:true`].sort());
    expect(await store.has(bad)).toBe(false);
    expect(await store.has(good)).toBe(true);
    expect(await readdir(store.quarantineDir)).toHaveLength(1);
  });

  it('list() on an empty store yields nothing and has() is false', async () => {
    const listed: unknown[] = [];
    for await (const info of store.list()) listed.push(info);
    expect(listed).toEqual([]);
    expect(await store.has('0'.repeat(40))).toBe(false);
  });
  it('verify() quarantines a file that has no record', async () => {
    const sha1 = await put(randomBytes(300));
    await rm(`${store.pathFor(sha1)}.json`);
    const report = await store.verify();
    expect(report).toEqual({ checked: 1, corrupt: [{ sha1, actual: sha1 }] });
    expect(await store.has(sha1)).toBe(false);
  });
});
