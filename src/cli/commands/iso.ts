import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { PatchdiscError } from '../../errors.ts';
import { checkIso } from '../../iso/check-iso.ts';
import { exportImage } from '../../iso/export-image.ts';
import { planIsoLayout, type IsoFileInput } from '../../iso/layout.ts';
import { writeIso } from '../../iso/write-iso.ts';
import { Reporter, type CliIo, type GlobalOptions } from '../cli-io.ts';
import { EXIT_INVALID } from '../exit-codes.ts';
import { ttyProgress } from '../progress.ts';

export interface IsoBuildOptions extends GlobalOptions {
  out?: string;
  label?: string;
  date?: number;
  /** Commander's `--no-fsync`: false when given. */
  fsync?: boolean;
}

async function collectFiles(root: string): Promise<IsoFileInput[]> {
  const files: IsoFileInput[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) {
        const st = await stat(p);
        files.push({ path: relative(root, p).split(sep).join('/'), size: st.size, source: { kind: 'file', path: p }, mode: st.mode & 0o777, mtime: Math.floor(st.mtimeMs / 1000) });
      }
    }
  };
  await walk(root);
  return files;
}

/** `patchdisc iso build DIR --out FILE.iso`: master a folder with our ECMA-119 + Joliet + Rock Ridge writer. */
export async function isoBuildCommand(dir: string, opts: IsoBuildOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  if (!opts.out) throw new PatchdiscError('USAGE', 'Cannot build an image: --out FILE.iso is required');
  const root = resolve(io.cwd, dir);
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new PatchdiscError('USAGE', `Cannot build an image from ${dir}: not a folder`);
  const sourceDate = io.env['SOURCE_DATE_EPOCH'];
  const date = opts.date ?? (sourceDate !== undefined ? Number(sourceDate) : Math.floor(Date.now() / 1000));
  if (!Number.isInteger(date) || date < 0) throw new PatchdiscError('USAGE', 'Cannot build an image: --date / SOURCE_DATE_EPOCH must be whole seconds since 1970');
  const files = await collectFiles(root);
  // With a fixed date every file time is that date too, so the image depends only on the content.
  const pinned = opts.date !== undefined || sourceDate !== undefined;
  const layout = planIsoLayout(
    pinned ? files.map(({ mtime: _m, ...f }) => f) : files,
    { volumeId: (opts.label ?? 'PATCHDISC').toUpperCase(), application: 'patchdisc', date },
  );
  const progress = opts.json || opts.quiet ? undefined : ttyProgress(io.isTTY);
  try {
    const out = resolve(io.cwd, opts.out);
    const res = await writeIso(layout, out, {
      onProgress: (w, t) => progress?.events.masterProgress?.({ iso: out, written: w, total: t }),
      durable: opts.fsync !== false,
    });
    if (r.json) r.result({ iso: res.path, bytes: res.bytes, sha256: res.sha256, files: files.length });
    else r.line(`${res.path}: ${files.length} files, ${res.bytes} bytes, sha256 ${res.sha256}`);
  } finally {
    progress?.stop();
  }
  return 0;
}

/** `patchdisc iso check FILE.iso`: structural checks and every file read; exit 3 with the problems. */
export async function isoCheckCommand(file: string, opts: GlobalOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  const res = await checkIso(resolve(io.cwd, file));
  if (r.json) r.result({ iso: file, ok: res.problems.length === 0, volumeId: res.volumeId, files: res.files, problems: res.problems });
  else if (res.problems.length === 0) r.line(`${file}: ok (volume ${res.volumeId}, ${res.files} files)`);
  else for (const p of res.problems) io.stderr(`${file}: ${p}\n`);
  return res.problems.length === 0 ? 0 : EXIT_INVALID;
}

export interface IsoExportOptions extends GlobalOptions {
  out?: string;
  /** Commander's `--no-fsync`: false when given. */
  fsync?: boolean;
}

/**
 * `patchdisc iso export IMAGE --out FILE.iso|-`: the whole image a thin image stands for (or a plain
 * .iso) written to a file, or to standard output for a burner reading stdin; a thin image's bytes are
 * checked against the SHA-256 it records.
 */
export async function isoExportCommand(image: string, opts: IsoExportOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  if (!opts.out) throw new PatchdiscError('USAGE', 'Cannot export an image: --out FILE.iso (or - for standard output) is required');
  const from = resolve(io.cwd, image);
  if (opts.out === '-') {
    if (io.stdoutStream === undefined) throw new PatchdiscError('USAGE', 'Cannot export to standard output here: no byte stream');
    const stream = io.stdoutStream;
    if ((stream as { isTTY?: boolean }).isTTY === true) {
      throw new PatchdiscError('USAGE', `Cannot export ${image} to a terminal: pipe it into the burner (| growisofs -Z /dev/sr0=/dev/stdin) or give --out FILE.iso`);
    }
    // A burner that stops reading closes the pipe: one clear line, not an EPIPE trace.
    const res = await exportImage(from, stream).catch((err: unknown) => {
      if ((err as { cause?: NodeJS.ErrnoException }).cause?.code === 'EPIPE') {
        throw new PatchdiscError('ABORTED', `Cannot export ${image}: the reader closed standard output before the end`, { cause: err });
      }
      throw err;
    });
    io.stderr(`${image}: ${res.bytes} bytes written to standard output, sha256 ${res.sha256}${res.thin ? ' (matches its record)' : ''}\n`);
    return 0;
  }
  const out = resolve(io.cwd, opts.out);
  if (out === from) throw new PatchdiscError('USAGE', `Cannot export ${image} onto itself: choose another --out`);
  const progress = opts.json || opts.quiet ? undefined : ttyProgress(io.isTTY);
  try {
    const res = await exportImage(from, out, {
      durable: opts.fsync !== false,
      onProgress: (w, t) => progress?.events.masterProgress?.({ iso: out, written: w, total: t }),
    });
    if (r.json) r.result({ image: from, iso: out, bytes: res.bytes, sha256: res.sha256, thin: res.thin });
    else r.line(`${out}: ${res.bytes} bytes, sha256 ${res.sha256}${res.thin ? ` (from thin image ${image}, matches its record)` : ''}`);
  } finally {
    progress?.stop();
  }
  return 0;
}
