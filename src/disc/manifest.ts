import { z } from 'zod';
import { PatchdiscError } from '../errors.ts';
import { MANIFEST_NAME } from './disc-names.ts';
import { comparePaths, discPathProblem } from './disc-path.ts';

/** Value of the `format` field; a verifier refuses any other. */
export const MANIFEST_FORMAT = 'patchdisc-manifest/1';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  kb?: string;
  title?: string;
  sourceUrl?: string;
  msSha1?: string;
  classification?: string;
  severity?: string;
  cves?: string[];
  product?: string;
}

export interface ManifestInput {
  vendor: string;
  subscriberId: string;
  sequence: number;
  disc: number;
  discs: number;
  created: string;
  expires: string;
  signingKeySha256: string;
  previousManifestSha256: string | null;
  pipeline: string;
  week: string;
  quietWeek: boolean;
  files: ManifestFile[];
  /** Paths (or KB numbers) in the order to install them; servicing stack first */
  installOrder?: string[];
}

export type Manifest = ManifestInput & { format: string };

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
const text = z.string().min(1).max(4096);
const discPath = z.string().superRefine((value, ctx) => {
  const problem = discPathProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `bad path: ${problem}` });
});

const fileSchema = z.strictObject({
  path: discPath,
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: sha256Hex,
  kb: z.string().regex(/^KB\d{4,8}$/).optional(),
  title: text.optional(),
  sourceUrl: z.url({ protocol: /^https?$/ }).optional(),
  msSha1: z.string().regex(/^[0-9a-f]{40}$/, 'lowercase hex SHA-1').optional(),
  classification: text.optional(),
  severity: text.optional(),
  cves: z.array(z.string().regex(/^CVE-\d{4}-\d{4,7}$/)).optional(),
  product: text.optional(),
});

const inputShape = {
  vendor: text,
  subscriberId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'subscriber code'),
  sequence: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  disc: z.number().int().positive(),
  discs: z.number().int().positive(),
  // UTC only ("…Z"): the kit's shell script compares expires with `date -u` as a string.
  created: z.iso.datetime(),
  expires: z.iso.datetime(),
  signingKeySha256: sha256Hex,
  previousManifestSha256: sha256Hex.nullable(),
  pipeline: text,
  week: z.string().regex(/^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$/, 'ISO week YYYY-Www'),
  quietWeek: z.boolean(),
  installOrder: z.array(z.string().min(1)).optional(),
  files: z.array(fileSchema),
};

function checkConsistency(m: { disc: number; discs: number; created: string; expires: string; files: { path: string }[] }, ctx: z.RefinementCtx): void {
  if (m.disc > m.discs) ctx.addIssue({ code: 'custom', path: ['disc'], message: `disc ${m.disc} of ${m.discs}` });
  if (Date.parse(m.expires) <= Date.parse(m.created)) {
    ctx.addIssue({ code: 'custom', path: ['expires'], message: 'expires is not after created' });
  }
  // Case-insensitive: Windows and Joliet readers would see two such files as one.
  const seen = new Set<string>();
  for (const f of m.files) {
    const folded = f.path.toLowerCase();
    if (seen.has(folded)) ctx.addIssue({ code: 'custom', path: ['files'], message: `duplicate path ${f.path}` });
    seen.add(folded);
  }
}

export const manifestInputSchema = z.strictObject(inputShape).superRefine(checkConsistency);
export const manifestSchema = z
  .strictObject({ format: z.literal(MANIFEST_FORMAT), ...inputShape })
  .superRefine(checkConsistency);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** Same object with keys in the canonical order and absent optional fields omitted. */
function canonicalFile(f: ManifestFile): ManifestFile {
  const out: ManifestFile = { path: f.path, size: f.size, sha256: f.sha256 };
  if (f.kb !== undefined) out.kb = f.kb;
  if (f.title !== undefined) out.title = f.title;
  if (f.sourceUrl !== undefined) out.sourceUrl = f.sourceUrl;
  if (f.msSha1 !== undefined) out.msSha1 = f.msSha1;
  if (f.classification !== undefined) out.classification = f.classification;
  if (f.severity !== undefined) out.severity = f.severity;
  if (f.cves !== undefined) out.cves = [...f.cves];
  if (f.product !== undefined) out.product = f.product;
  return out;
}

/**
 * Serialises a manifest canonically: fixed key order, 2-space indent, files sorted by path, trailing
 * LF. These exact bytes are what gets signed. Invalid input is a VALIDATION error.
 */
export function buildManifest(input: ManifestInput): Buffer {
  const parsed = manifestInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new PatchdiscError('VALIDATION', `Cannot build ${MANIFEST_NAME} for ${input.subscriberId}: ${describeIssues(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const m = input;
  const ordered: Record<string, unknown> = {
    format: MANIFEST_FORMAT,
    vendor: m.vendor,
    subscriberId: m.subscriberId,
    sequence: m.sequence,
    disc: m.disc,
    discs: m.discs,
    created: m.created,
    expires: m.expires,
    signingKeySha256: m.signingKeySha256,
    previousManifestSha256: m.previousManifestSha256,
    pipeline: m.pipeline,
    week: m.week,
    quietWeek: m.quietWeek,
  };
  if (m.installOrder !== undefined) ordered['installOrder'] = [...m.installOrder];
  ordered['files'] = [...m.files].sort((a, b) => comparePaths(a.path, b.path)).map(canonicalFile);
  return Buffer.from(`${JSON.stringify(ordered, null, 2)}\n`, 'utf8');
}

/**
 * Parses and validates MANIFEST.json bytes (call only on bytes whose signature verified).
 * Anything malformed is VERIFY_FAILED.
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${MANIFEST_NAME}: not valid UTF-8 JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${MANIFEST_NAME}: ${describeIssues(parsed.error)}`, { cause: parsed.error });
  }
  return parsed.data as Manifest;
}
