import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { PatchdiscError } from '../errors.ts';

/** What a subscriber's verifier remembers of the last accepted disc (rollback defence). */
export interface SubscriberVerifyState {
  lastSequence: number;
  lastManifestSha256: string;
  acceptedAt: string;
}

export interface VerifyState {
  subscribers: Record<string, SubscriberVerifyState>;
}

const stateSchema = z.strictObject({
  subscribers: z.record(
    z.string().min(1),
    z.strictObject({
      lastSequence: z.number().int().nonnegative(),
      lastManifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
      acceptedAt: z.iso.datetime({ offset: true }),
    }),
  ),
});

/** Reads the state file; a missing file is an empty state (nothing accepted yet). */
export async function loadVerifyState(path: string): Promise<VerifyState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { subscribers: {} };
    throw new PatchdiscError('VALIDATION', `Cannot read verify state ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PatchdiscError('VALIDATION', `Cannot read verify state ${path}: not JSON; restore it from backup or re-enroll`, { cause: err });
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PatchdiscError(
      'VALIDATION',
      `Cannot read verify state ${path}: ${issue === undefined ? 'invalid' : `${issue.path.join('.')}: ${issue.message}`}; restore it from backup or re-enroll`,
      { cause: parsed.error },
    );
  }
  const subscribers: Record<string, SubscriberVerifyState> = Object.create(null) as Record<string, SubscriberVerifyState>;
  for (const [code, entry] of Object.entries(parsed.data.subscribers)) subscribers[code] = entry;
  return { subscribers };
}

/** Writes the state atomically: a temp file in the same folder, fsync, then rename over the old one. */
export async function saveVerifyState(path: string, state: VerifyState): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(`${JSON.stringify({ subscribers: state.subscribers }, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new PatchdiscError('VALIDATION', `Cannot save verify state ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The `state` option of verifyDisc() for one subscriber. */
export function subscriberState(state: VerifyState, subscriberId: string): { lastSequence?: number; lastManifestSha256?: string } {
  const entry = Object.hasOwn(state.subscribers, subscriberId) ? state.subscribers[subscriberId] : undefined;
  return entry === undefined ? {} : { lastSequence: entry.lastSequence, lastManifestSha256: entry.lastManifestSha256 };
}

/**
 * New state after accepting a disc. The sequence never goes down, so accepting disc 1 of a set after
 * disc 2 keeps the set's sequence.
 */
export function recordAcceptedDisc(
  state: VerifyState,
  disc: { subscriberId: string; sequence: number; manifestSha256: string; now: Date },
): VerifyState {
  const previous = subscriberState(state, disc.subscriberId);
  if (previous.lastSequence !== undefined && disc.sequence < previous.lastSequence) {
    throw new PatchdiscError(
      'VERIFY_FAILED',
      `Cannot record disc sequence ${disc.sequence} for ${disc.subscriberId}: ${previous.lastSequence} is already accepted`,
    );
  }
  return {
    subscribers: {
      ...state.subscribers,
      [disc.subscriberId]: { lastSequence: disc.sequence, lastManifestSha256: disc.manifestSha256, acceptedAt: disc.now.toISOString() },
    },
  };
}
