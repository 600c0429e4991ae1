import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { DiscReader } from '../disc/disc-reader.ts';
import { folderDiscReader } from '../disc/folder-disc-reader.ts';
import { PatchdiscError } from '../errors.ts';
import { openIso } from '../iso/read-iso.ts';

/** Largest metadata file `read()` loads into memory from an image. */
const READ_LIMIT = 64 * 1024 * 1024;

/**
 * A disc to verify, whatever holds it: a folder (a mounted disc), an .iso file or a block device
 * (read with our own ISO reader, no mounting). Unreadable targets are USAGE errors (exit 2).
 */
export async function openDiscTarget(target: string): Promise<{ reader: DiscReader; kind: 'folder' | 'image'; close: () => Promise<void> }> {
  let st;
  try {
    st = await stat(target);
  } catch (cause) {
    throw new PatchdiscError('USAGE', `Cannot verify ${target}: ${(cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : String(cause)}`, { cause });
  }
  if (st.isDirectory()) return { reader: folderDiscReader(target), kind: 'folder', close: async () => undefined };
  if (!st.isFile() && !st.isBlockDevice()) {
    throw new PatchdiscError('USAGE', `Cannot verify ${target}: not a folder, an .iso file or a block device`);
  }
  let iso;
  try {
    // Rock Ridge names are the exact names; Joliet is the fallback for images without it.
    iso = await openIso(target, { tree: 'rockridge' }).catch(() => openIso(target));
  } catch (cause) {
    throw new PatchdiscError('USAGE', `Cannot verify ${target}: it is not a readable ISO 9660 image (${(cause as Error).message})`, { cause });
  }
  const image = iso;
  const reader: DiscReader = {
    list: async () => image.entries().filter((e) => !e.isDir).map((e) => ({ path: e.path, size: e.size })),
    read: async (path) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const c of image.createReadStream(path)) {
        bytes += (c as Buffer).length;
        if (bytes > READ_LIMIT) throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${path} from ${target}: larger than ${READ_LIMIT} bytes`);
        chunks.push(c as Buffer);
      }
      return Buffer.concat(chunks);
    },
    stream: (path) => Readable.from(image.createReadStream(path)),
  };
  return { reader, kind: 'image', close: () => image.close() };
}
