import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
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
  it('verify() rebuilds the record of a good file whose record was lost, and keeps the file', async () => {
    const data = randomBytes(300);
    const sha1 = await put(data);
    await rm(join(store.storeDir, 'records.jsonl'));
    const report = await store.verify();
    expect(report).toEqual({ checked: 1, corrupt: [] });
    expect(await store.has(sha1)).toBe(true);
    expect(await new ContentStore(store.storeDir).info(sha1)).toMatchObject({ sha1, sha256: digest('sha256', data), size: 300, url: '' });
  });

  it('keeps its records in one log: no file is created beside a stored file', async () => {
    const sha1 = await put(randomBytes(100));
    expect(await readdir(join(store.storeDir, 'sha1', sha1.slice(0, 2)))).toEqual([sha1]);
    expect((await readFile(join(store.storeDir, 'records.jsonl'), 'utf8')).split('\n').filter((l) => l !== '')).toHaveLength(1);
  });

  it('info() reads the JSON record an older version wrote beside the file', async () => {
    const data = randomBytes(700);
    const sha1 = digest('sha1', data);
    const legacy = { sha1, sha256: digest('sha256', data), size: 700, url: 'http://example.test/old', fetchedAt: '2025-12-01T08:00:00.000Z' };
    await mkdir(join(store.storeDir, 'sha1', sha1.slice(0, 2)), { recursive: true });
    await writeFile(store.pathFor(sha1), data);
    await writeFile(`${store.pathFor(sha1)}.json`, JSON.stringify(legacy, null, 2));
    expect(await store.info(sha1)).toEqual(legacy);
    expect(await store.verify()).toEqual({ checked: 1, corrupt: [] });
    await store.remove(sha1);
    expect(await readdir(join(store.storeDir, 'sha1', sha1.slice(0, 2)))).toEqual([]);
  });

  it('info() rebuilds a lost record from the bytes, or quarantines a file that does not match its name', async () => {
    const good = randomBytes(400);
    const goodSha1 = await put(good);
    const bad = await put(randomBytes(400));
    await writeFile(store.pathFor(bad), randomBytes(400));
    await rm(join(store.storeDir, 'records.jsonl'));
    const fresh = new ContentStore(store.storeDir);
    expect(await fresh.info(goodSha1)).toMatchObject({ sha1: goodSha1, sha256: digest('sha256', good), size: 400, url: '' });
    expect(await fresh.info(bad)).toBeUndefined();
    expect(await fresh.has(bad)).toBe(false);
    expect(await readdir(store.quarantineDir)).toHaveLength(1);
  });

  it('info() does not trust a record whose size disagrees with the stored file', async () => {
    const sha1 = await put(randomBytes(500));
    await writeFile(store.pathFor(sha1), randomBytes(10));
    expect(await store.info(sha1)).toBeUndefined();
    expect(await store.has(sha1)).toBe(false);
  });

  it('a second store on the same directory sees files another one committed after its first look', async () => {
    const other = new ContentStore(store.storeDir);
    const a = await put(randomBytes(10));
    expect(await other.info(a)).toMatchObject({ sha1: a, size: 10 });
    const b = await put(randomBytes(20));
    expect(await other.info(b)).toMatchObject({ sha1: b, size: 20, url: `http://example.test/${b}` });
    await store.remove(a);
    const listed: string[] = [];
    for await (const info of new ContentStore(store.storeDir).list()) listed.push(info.sha1);
    expect(listed).toEqual([b]);
  });
});
