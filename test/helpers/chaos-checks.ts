import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { CatalogModel } from '../../src/upstream/catalog-model.ts';
import { BIN, type CliResult } from './run-cli.ts';

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every regular file below `dir`: relative path → absolute path. */
export function listFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The disc images under `<data>/out` — `.iso` files and thin images (`.iso.thin`, a shared master
 * plus a subscriber's own sectors) — each with its `<label>.iso.json` record when present.
 */
export function listIsos(dataDir: string): { iso: string; record: string | undefined }[] {
  return [...listFiles(join(dataDir, 'out')).values()]
    .filter((p) => p.endsWith('.iso') || p.endsWith('.iso.thin'))
    .sort()
    .map((iso) => {
      const record = `${iso.replace(/\.thin$/, '')}.json`;
      return { iso, record: existsSync(record) ? record : undefined };
    });
}

/**
 * A real .iso for `image`: the image itself, or for a thin image the .iso that `patchdisc iso
 * export` writes (it checks the SHA-256 the thin image records) at `<scratch>.iso`.
 */
export function materialize(image: string, scratch: string): string {
  if (!image.endsWith('.thin')) return image;
  const out = `${scratch}.iso`;
  execFileSync(process.execPath, [BIN, 'iso', 'export', image, '--out', out, '--no-fsync', '--quiet'], { stdio: 'ignore' });
  return out;
}

/** The SHA-256 of the disc image `image` (a thin image's: of the .iso it stands for). */
export function imageSha256(image: string, scratch: string): string {
  return sha256Of(materialize(image, scratch));
}

/** Payload file name → SHA-256 (hex) as the upstream model says, over the given models (weeks). */
export function payloadTruth(models: readonly CatalogModel[]): Map<string, string> {
  const truth = new Map<string, string>();
  for (const m of models) for (const f of m.files) truth.set(f.fileName.toLowerCase(), f.sha256Hex);
  return truth;
}

/**
 * Extracts `iso` with 7z (an independent reader) and checks every file under updates/ against the
 * upstream's truth: a known name and the exact SHA-256. Returns problems (empty = clean) and the count.
 */
export function checkIsoAgainstTruth(iso: string, into: string, truth: ReadonlyMap<string, string>): { problems: string[]; payloads: number } {
  mkdirSync(into, { recursive: true });
  execFileSync('7z', ['x', '-y', `-o${into}`, materialize(iso, into)], { stdio: 'ignore' });
  const problems: string[] = [];
  let payloads = 0;
  const files = listFiles(into);
  for (const [rel, abs] of files) {
    if (rel.includes('..') || rel.includes('\\')) problems.push(`${iso}: hostile path on disc: ${rel}`);
    if (!rel.startsWith('updates/')) continue;
    payloads++;
    const want = truth.get(basename(rel).toLowerCase());
    if (want === undefined) problems.push(`${iso}: ${rel} is not a file of the upstream catalog`);
    else if (sha256Of(abs) !== want) problems.push(`${iso}: ${rel} has SHA-256 ${sha256Of(abs)} but upstream's is ${want}`);
  }
  const manifestPath = join(into, 'MANIFEST.json');
  if (!existsSync(manifestPath)) problems.push(`${iso}: no MANIFEST.json`);
  else {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: { path: string; sha256: string }[] };
    for (const f of manifest.files) {
      const abs = files.get(f.path);
      if (abs === undefined) problems.push(`${iso}: MANIFEST lists ${f.path}, not on the disc`);
      else if (sha256Of(abs) !== f.sha256) problems.push(`${iso}: ${f.path} does not match MANIFEST.json`);
    }
  }
  return { problems, payloads };
}

/**
 * The records of a content store, read independently of src/fetch: the last line of `records.jsonl`
 * for a SHA-1 wins and a removal line forgets it; a file without one may have the JSON record an older
 * version wrote beside it.
 */
function storeRecords(dataDir: string): Map<string, { sha256: string; size: number }> {
  const records = new Map<string, { sha256: string; size: number }>();
  const log = join(dataDir, 'store', 'records.jsonl');
  if (!existsSync(log)) return records;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (line === '') continue;
    let rec: { sha1?: string; sha256: string; size: number; removed?: boolean };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      continue; // a line torn by a crash
    }
    if (rec.sha1 === undefined) continue;
    if (rec.removed === true) records.delete(rec.sha1);
    else records.set(rec.sha1, rec);
  }
  return records;
}

/**
 * The content store's invariant: every file under store/sha1 has the SHA-1 of its name and a record
 * whose SHA-256 and size match. Returns problems.
 */
export function checkStore(dataDir: string): { problems: string[]; files: number } {
  const problems: string[] = [];
  const records = storeRecords(dataDir);
  let count = 0;
  for (const [rel, abs] of listFiles(join(dataDir, 'store', 'sha1'))) {
    if (rel.endsWith('.json')) continue;
    if (rel.includes('.tmp-')) continue;
    count++;
    const name = basename(rel);
    const bytes = readFileSync(abs);
    const sha1 = createHash('sha1').update(bytes).digest('hex');
    if (sha1 !== name) {
      problems.push(`store/sha1/${rel}: content SHA-1 is ${sha1}`);
      continue;
    }
    const legacy = `${abs}.json`;
    const rec = records.get(name) ?? (existsSync(legacy) ? (JSON.parse(readFileSync(legacy, 'utf8')) as { sha256: string; size: number }) : undefined);
    if (rec === undefined) {
      problems.push(`store/sha1/${rel}: no record`);
      continue;
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (rec.sha256 !== sha256 || rec.size !== bytes.length) problems.push(`store/sha1/${rel}: record disagrees with content`);
  }
  return { problems, files: count };
}

/**
 * A failed run's output: exactly one `patchdisc: ` line on stderr that is not an internal error, and
 * no stack trace. Logs go to stderr too (JSON lines or `level:` lines), so only `patchdisc:` lines and
 * lines that look like traces are counted.
 */
export function clearErrorProblems(r: CliResult): string[] {
  const lines = r.stderr.split('\n');
  const problems: string[] = [];
  const errorLines = lines.filter((l) => l.startsWith('patchdisc: '));
  if (errorLines.length !== 1) problems.push(`expected one "patchdisc: " line, got ${errorLines.length}:\n${r.stderr.slice(-2000)}`);
  if (errorLines.some((l) => l.startsWith('patchdisc: internal error'))) problems.push(`internal error: ${errorLines.join(' | ')}`);
  if (lines.some((l) => /^\s+at .+[:(]/.test(l))) problems.push(`stack trace on stderr:\n${r.stderr.slice(-2000)}`);
  if (r.signal !== null) problems.push(`died by signal ${r.signal}`);
  return problems;
}
