import type { Medium } from '../config/pipeline-schema.ts';
import { PatchdiscError } from '../errors.ts';
import { MEDIUM_SECTORS, smallestMediumFor } from './media.ts';

/** ECMA-119 logical sector size. */
const SECTOR = 2048;
/**
 * Space kept free on every disc for the volume descriptors, path tables, directories and the signed
 * metadata (MANIFEST.json, SHA256SUMS, index.html, README.txt, certificate, signatures).
 */
export const METADATA_RESERVE_BYTES = 8 * 1024 * 1024;
/** Directory records of one file in both trees, with Rock Ridge entries, rounded up generously. */
const PER_FILE_OVERHEAD = 1024;

/** One update file to place on a disc, in install order. */
export interface PlannedFile {
  /** Path on the disc, e.g. updates/windows-10/KB5046613/windows10.0-kb5046613-x64_<sha1>.msu */
  path: string;
  size: number;
  sha1: string;
}

export interface PlannedDisc<F extends PlannedFile> {
  number: number;
  of: number;
  files: F[];
  bytes: number;
}

/** Bytes the files may fill on one disc of `medium`. */
export function discBudget(medium: Medium): number {
  return MEDIUM_SECTORS[medium] * SECTOR - METADATA_RESERVE_BYTES;
}

function cost(size: number): number {
  return Math.ceil(size / SECTOR) * SECTOR + PER_FILE_OVERHEAD;
}

/**
 * Packs files onto as few discs as their order allows: files stay in install order, so disc 1 holds
 * what must be installed first. An empty list gives one disc with metadata only (a quiet week). A file
 * larger than a whole disc is a FILE_TOO_LARGE error naming it, its size and the smallest medium it
 * fits on.
 */
export function planDiscs<F extends PlannedFile>(files: F[], medium: Medium): PlannedDisc<F>[] {
  const budget = discBudget(medium);
  const discs: { files: F[]; bytes: number }[] = [{ files: [], bytes: 0 }];
  for (const f of files) {
    const c = cost(f.size);
    if (c > budget) {
      const fits = smallestMediumFor(f.size + METADATA_RESERVE_BYTES + PER_FILE_OVERHEAD);
      throw new PatchdiscError(
        'FILE_TOO_LARGE',
        `Cannot plan ${medium} discs: ${f.path} is ${f.size} bytes, more than one ${medium} holds (${budget} bytes); ` +
          (fits ? `use medium ${fits} or larger` : 'no supported medium holds it'),
        { details: { path: f.path, size: f.size, medium, smallest: fits } },
      );
    }
    let current = discs[discs.length - 1]!;
    if (current.bytes + c > budget) {
      current = { files: [], bytes: 0 };
      discs.push(current);
    }
    current.files.push(f);
    current.bytes += c;
  }
  return discs.map((d, i) => ({
    number: i + 1,
    of: discs.length,
    files: d.files,
    bytes: d.files.reduce((s, f) => s + f.size, 0),
  }));
}

/** Joliet's volume identifier holds 16 UCS-2 characters; Windows shows that one. */
const LABEL_MAX = 16;

/**
 * Volume label "PATCH_26W48_1OF2": d-characters only and at most 16 characters, so the primary and
 * the Joliet volume ids agree (Windows shows the Joliet one); the prefix is shortened when needed,
 * never the week or the disc number.
 */
export function volumeLabel(prefix: string, week: string, disc: number, of: number): string {
  const tail = `_${week.slice(2, 4)}W${week.slice(6)}_${disc}OF${of}`;
  const head = prefix.toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, Math.max(1, LABEL_MAX - tail.length));
  return `${head}${tail}`.slice(0, Math.max(LABEL_MAX, tail.length + 1));
}
