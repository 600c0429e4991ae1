import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { formatFingerprint, loadCertificate } from '../../disc/keys.ts';
import { verifyDisc } from '../../disc/verify-disc.ts';
import { loadVerifyState, recordAcceptedDisc, saveVerifyState, subscriberKey, subscriberState } from '../../disc/verify-state.ts';
import type { VerifyState } from '../../disc/verify-state.ts';
import { PatchdiscError } from '../../errors.ts';
import { openDiscTarget } from '../../pipeline/open-disc-target.ts';
import { Reporter, type CliIo, type GlobalOptions } from '../cli-io.ts';
import { EXIT_INVALID } from '../exit-codes.ts';

export interface VerifyCommandOptions extends GlobalOptions {
  cert?: string;
  subscriber?: string;
  state?: string;
  at?: string;
}

/**
 * `patchdisc verify TARGET --cert FILE`: a subscriber's offline check that a disc is genuine,
 * complete, newer than the last accepted one and meant for them. Exit 0 valid, 3 invalid, 2 unusable.
 */
export async function verifyCommand(target: string, opts: VerifyCommandOptions, io: CliIo): Promise<number> {
  const r = new Reporter(opts, io);
  if (!opts.cert) throw new PatchdiscError('USAGE', 'Cannot verify: --cert FILE is required (the certificate from your enrollment kit)');
  const cert = await loadCertificate(resolve(io.cwd, opts.cert)).catch((cause: unknown) => {
    throw new PatchdiscError('USAGE', `Cannot verify: cannot read certificate ${opts.cert}: ${(cause as Error).message}`, { cause });
  });
  const statePath = opts.state ? resolve(io.cwd, opts.state) : join(io.env['HOME'] ?? homedir(), '.patchdisc', 'verify-state.json');
  const state = await loadVerifyState(statePath);
  const disc = await openDiscTarget(resolve(io.cwd, target));
  try {
    const now = opts.at === undefined ? new Date() : new Date(opts.at);
    if (Number.isNaN(now.getTime())) throw new PatchdiscError('USAGE', `Cannot verify: --at "${opts.at}" is not a date (use 2026-11-25 or an ISO time)`);
    // The state is per subscriber; without --subscriber the disc's own (signed) id picks the entry.
    // The key is the enrolled certificate, or the key a key rotation replaced it with (verify-state.ts).
    let key = opts.subscriber ? subscriberKey(state, opts.subscriber, cert, statePath) : cert;
    let result = await verifyDisc(disc.reader, {
      certificate: key,
      ...(opts.subscriber ? { subscriber: opts.subscriber, state: subscriberState(state, opts.subscriber) } : {}),
      now,
    });
    if (!opts.subscriber) {
      let first = result;
      for (const rotated of rotatedKeys(state, cert, statePath)) {
        if (first.manifest) break;
        first = await verifyDisc(disc.reader, { certificate: rotated, now });
      }
      if (first.manifest) {
        key = subscriberKey(state, first.manifest.subscriberId, cert, statePath);
        result = await verifyDisc(disc.reader, { certificate: key, state: subscriberState(state, first.manifest.subscriberId), now });
      }
    }
    if (result.ok && result.manifest && result.manifestSha256) {
      const next = recordAcceptedDisc(state, {
        subscriberId: result.manifest.subscriberId,
        sequence: result.manifest.sequence,
        manifestSha256: result.manifestSha256,
        now,
        ...(result.rotatedTo ? { rotation: { from: key.keyId, to: result.rotatedTo } } : {}),
      });
      await saveVerifyState(statePath, next);
    }
    if (r.json) {
      r.result({
        target,
        ok: result.ok,
        subscriber: result.manifest?.subscriberId ?? null,
        sequence: result.manifest?.sequence ?? null,
        disc: result.manifest ? `${result.manifest.disc}/${result.manifest.discs}` : null,
        week: result.manifest?.week ?? null,
        checks: result.checks,
        problems: result.problems,
        warnings: result.warnings,
        rotatedTo: result.rotatedTo?.keyId ?? null,
        state: statePath,
      });
    } else {
      for (const c of result.checks) r.line(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
      for (const w of result.warnings) r.warn(w);
      if (result.ok) {
        const m = result.manifest!;
        r.line(`VALID: disc ${m.disc}/${m.discs} of ${m.subscriberId}, sequence ${m.sequence}, week ${m.week}, ${m.files.length} update files`);
        if (result.rotatedTo) {
          r.line(`KEY ROTATED: from now on only discs signed by the new key are accepted for ${m.subscriberId}; old key ${key.keyId.slice(0, 16)} is retired`);
          r.line(`  new key fingerprint: ${formatFingerprint(result.rotatedTo.keyId).replace(/\n/g, '\n                       ')}`);
        }
      } else {
        for (const p of result.problems) io.stderr(`INVALID: ${p}\n`);
      }
    }
    return result.ok ? 0 : EXIT_INVALID;
  } finally {
    await disc.close();
  }
}

/**
 * Keys that key rotations accepted earlier put in place of the enrolled key, one per distinct key: they
 * let a disc be read before its subscriber (and so its state entry) is known.
 */
function rotatedKeys(state: VerifyState, enrolled: { publicKey: KeyObject; keyId: string }, statePath: string): { publicKey: KeyObject; keyId: string }[] {
  const seen = new Set<string>();
  const keys: { publicKey: KeyObject; keyId: string }[] = [];
  for (const [code, entry] of Object.entries(state.subscribers)) {
    if (entry.keySha256 === undefined || seen.has(entry.keySha256) || !(entry.retiredKeys ?? []).includes(enrolled.keyId)) continue;
    seen.add(entry.keySha256);
    keys.push(subscriberKey(state, code, enrolled, statePath));
  }
  return keys;
}
