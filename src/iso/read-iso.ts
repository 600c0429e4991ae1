/**
 * Opens an ISO 9660 image for reading: volume descriptors, the Joliet tree or the primary tree with
 * Rock Ridge names, and streaming reads of file contents (multi-extent files included).
 */
import { Readable } from 'node:stream';
import { PatchdiscError } from '../errors.ts';
import { openImageFile, type ImageReader } from './image-file.ts';
import { hasSusp, readVolumeDescriptors, walkTree, type Extent, type TreeKind, type WalkedEntry } from './iso-walk.ts';
import { SECTOR_SIZE } from './volume-descriptor.ts';

const READ_CHUNK = 1024 * 1024;

export interface IsoEntry {
  path: string;
  size: number;
  isDir: boolean;
  /** Epoch seconds from the directory record. */
  mtime: number;
  /** st_mode from Rock Ridge PX, when read from the Rock Ridge tree. */
  mode?: number;
}

export interface IsoImage {
  volumeId: string;
  /** Volume space size in 2048-byte sectors. */
  sectors: number;
  /** Which tree `entries()` and `createReadStream()` use. */
  tree: TreeKind;
  entries(): IsoEntry[];
  /** Streams a file's bytes; throws NOT_FOUND for an unknown path or a folder. */
  createReadStream(path: string): Readable;
  close(): Promise<void>;
}

export interface OpenIsoOptions {
  /** Default: Joliet when present, else Rock Ridge when present, else plain ISO 9660 names. */
  tree?: TreeKind;
}

/** Opens `path`; throws ISO_CORRUPT when it has no usable primary volume descriptor. */
export async function openIso(path: string, options: OpenIsoOptions = {}): Promise<IsoImage> {
  // An .iso, a device, or a thin image read through its master.
  const fh = await openImageFile(path);
  try {
    const ignore = (): void => undefined;
    const volumes = await readVolumeDescriptors(fh, ignore);
    const primary = volumes.find((v) => v.kind === 'primary');
    const joliet = volumes.find((v) => v.kind === 'joliet');
    if (primary === undefined) {
      throw new PatchdiscError('ISO_CORRUPT', `Cannot read ${path}: no primary volume descriptor; the file is not an ISO 9660 image or is damaged`);
    }
    const rockRidge = await hasSusp(fh, primary.root);
    const tree = options.tree ?? (joliet ? 'joliet' : rockRidge ? 'rockridge' : 'iso9660');
    if ((tree === 'joliet' && !joliet) || (tree === 'rockridge' && !rockRidge)) {
      throw new PatchdiscError('ISO_CORRUPT', `Cannot read the ${tree} tree of ${path}: the image has none`);
    }
    const root = tree === 'joliet' && joliet ? joliet.root : primary.root;
    const walked = await walkTree(fh, root, tree, primary.volumeSectors, ignore);
    const byPath = new Map(walked.entries.map((e) => [e.path, e]));
    return {
      volumeId: primary.volumeId,
      sectors: primary.volumeSectors,
      tree,
      entries: () =>
        walked.entries.map((e) => {
          const out: IsoEntry = { path: e.path, size: e.size, isDir: e.isDir, mtime: e.mtime };
          if (e.mode !== undefined) out.mode = e.mode;
          return out;
        }),
      createReadStream: (file: string) => {
        const entry = byPath.get(file.replace(/^\/+/, ''));
        if (entry === undefined || entry.isDir) {
          throw new PatchdiscError('NOT_FOUND', `Cannot read ${JSON.stringify(file)} from ${path}: no such file in the ${tree} tree`);
        }
        return Readable.from(readExtents(fh, entry, path));
      },
      close: () => fh.close(),
    };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Yields a file's bytes extent by extent; fails when the image ends early. */
export async function* readExtents(fh: ImageReader, entry: Pick<WalkedEntry, 'path' | 'extents'>, imagePath: string): AsyncGenerator<Buffer> {
  for (const extent of entry.extents as Extent[]) {
    let done = 0;
    while (done < extent.size) {
      const length = Math.min(READ_CHUNK, extent.size - done);
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, extent.lba * SECTOR_SIZE + done);
      if (bytesRead === 0) {
        throw new PatchdiscError('ISO_CORRUPT', `Cannot read ${JSON.stringify(entry.path)} from ${imagePath}: image ends at byte ${extent.lba * SECTOR_SIZE + done}, inside the file; the image is truncated`);
      }
      done += bytesRead;
      yield bytesRead === length ? buf : buf.subarray(0, bytesRead);
    }
  }
}
