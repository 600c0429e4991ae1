import { open, readFile } from 'node:fs/promises';

/** What is kept beside a partial download so a later run may resume it (Range + If-Range). */
export interface PartialMeta {
  url: string;
  etag?: string;
  lastModified?: string;
}

/**
 * Reads the resume record at `path`: 'none' when there is no file at all (nothing to remove),
 * undefined when one is there but unreadable or torn (the download then starts afresh).
 */
export async function readPartialMeta(path: string): Promise<PartialMeta | 'none' | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<PartialMeta>;
    if (typeof parsed.url !== 'string') return undefined;
    const meta: PartialMeta = { url: parsed.url };
    if (typeof parsed.etag === 'string') meta.etag = parsed.etag;
    if (typeof parsed.lastModified === 'string') meta.lastModified = parsed.lastModified;
    return meta;
  } catch {
    return undefined;
  }
}

/**
 * Writes the resume record in place: a record torn by a crash does not parse, and the next run then
 * starts the file afresh, which the digests make safe.
 */
export async function writePartialMeta(path: string, meta: PartialMeta): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(`${JSON.stringify(meta)}\n`);
  } finally {
    await fh.close();
  }
}
