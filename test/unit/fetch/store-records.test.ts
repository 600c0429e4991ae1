import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredFileInfo } from '../../../src/fetch/content-store.ts';
import { COMPACT_MIN_LINES, StoreRecords } from '../../../src/fetch/store-records.ts';
import { makeTempDir } from '../../helpers/tools.ts';

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
const record = (n: number): StoredFileInfo => ({ sha1: hex(n, 40), sha256: hex(n, 64), size: n, url: `http://example.test/${n}`, fetchedAt: '2026-01-05T10:00:00.000Z' });

describe('StoreRecords', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'records.jsonl');
  });
  afterEach(() => temp.remove());

  it('get() answers undefined when there is no log yet, and the last line for a SHA-1 wins', async () => {
    const records = new StoreRecords(path);
    expect(await records.get(hex(1, 40))).toBeUndefined();
    await records.append(record(1));
    await records.append({ ...record(1), url: 'http://mirror.test/1' });
    expect(await new StoreRecords(path).get(hex(1, 40))).toMatchObject({ url: 'http://mirror.test/1' });
  });

  it('skips a line torn by a power cut and reads the records appended after it', async () => {
    const records = new StoreRecords(path);
    await records.append(record(1));
    await appendFile(path, '{"sha1":"' + hex(2, 40) + '","sha2');
    await records.append(record(3));
    const fresh = new StoreRecords(path);
    expect(await fresh.get(hex(1, 40))).toEqual(record(1));
    expect(await fresh.get(hex(2, 40))).toBeUndefined();
    expect(await fresh.get(hex(3, 40))).toEqual(record(3));
  });

  it('ignores lines that are not records (bad digests, sizes or JSON)', async () => {
    await writeFile(path, ['{"sha1":"xyz","sha256":"00","size":1}', `{"sha1":"${hex(1, 40)}","sha256":"abc","size":1}`, `{"sha1":"${hex(2, 40)}","sha256":"${hex(2, 64)}","size":-1}`, 'null', '[]', ''].join('\n'));
    const records = new StoreRecords(path);
    expect(await records.get(hex(1, 40))).toBeUndefined();
    expect(await records.get(hex(2, 40))).toBeUndefined();
  });

  it('remove() forgets a record for this and every later reader', async () => {
    const records = new StoreRecords(path);
    await records.append(record(1));
    await records.remove(hex(1, 40));
    expect(await records.get(hex(1, 40))).toBeUndefined();
    expect(await new StoreRecords(path).get(hex(1, 40))).toBeUndefined();
  });

  it('a full read of a log mostly made of dead lines rewrites it with the live records only', async () => {
    const lines: string[] = [];
    for (let n = 1; n <= COMPACT_MIN_LINES; n += 1) lines.push(JSON.stringify(record(n)), JSON.stringify({ sha1: hex(n, 40), removed: true }));
    lines.push(JSON.stringify(record(7)));
    await writeFile(path, `${lines.join('\n')}\n`);
    const reader = new StoreRecords(path);
    const other = new StoreRecords(path);
    expect(await other.get(hex(9, 40))).toBeUndefined();
    expect(await reader.get(hex(7, 40))).toEqual(record(7));
    expect((await readFile(path, 'utf8')).split('\n').filter((l) => l !== '')).toEqual([JSON.stringify(record(7))]);
    // A reader that had read the old log reads the rewritten one afresh.
    await reader.append(record(8));
    expect(await other.get(hex(8, 40))).toEqual(record(8));
    expect(await other.get(hex(7, 40))).toEqual(record(7));
  });
});
