import { PatchdiscError } from '../../src/errors.ts';
import { pickInt, pickOne } from './chaos-setup.ts';

/** What one input did: parsed (accepted) or refused with a PatchdiscError (rejected). */
export type FuzzOutcome = 'accepted' | 'rejected';

export interface FuzzStats {
  target: string;
  inputs: number;
  accepted: number;
  rejected: number;
  /** Inputs that crashed (non-PatchdiscError), hung, or broke the target's own invariant. */
  failures: string[];
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x3c, 0x3e, 0x22, 0x26, 0x2f, 0x5c, 0x0a, 0x2e];

/** One random mutation of `input`: bit flips, byte sets, deletions, insertions, duplications, truncation, splices. */
export function mutate(input: Buffer, random: () => number, donors: readonly Buffer[] = []): Buffer {
  let out = Buffer.from(input);
  const rounds = pickInt(random, 1, 4);
  for (let r = 0; r < rounds; r++) {
    const len = out.length;
    const at = len === 0 ? 0 : pickInt(random, 0, len - 1);
    const span = Math.max(1, Math.min(len - at, pickInt(random, 1, random() < 0.8 ? 16 : 4096)));
    switch (pickInt(random, 0, 7)) {
      case 0:
        if (len > 0) out[at] = out[at]! ^ (1 << pickInt(random, 0, 7));
        break;
      case 1:
        if (len > 0) out[at] = pickOne(random, INTERESTING);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + span)]);
        break;
      case 3: {
        const junk = Buffer.alloc(pickInt(random, 1, 64));
        for (let i = 0; i < junk.length; i++) junk[i] = random() < 0.5 ? pickOne(random, INTERESTING) : pickInt(random, 0, 255);
        out = Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
        break;
      }
      case 4:
        out = Buffer.concat([out.subarray(0, at + span), out.subarray(at, at + span), out.subarray(at + span)]);
        break;
      case 5:
        out = out.subarray(0, at);
        break;
      case 6: {
        // Little-endian integer fields: set 2 or 4 bytes to an extreme.
        const v = pickOne(random, [0, 0xffffffff, 0x7fffffff, 0x80000000, 1, 0xffff]);
        if (at + 4 <= len) out.writeUInt32LE(v >>> 0, at);
        break;
      }
      default: {
        const donor = donors.length > 0 ? pickOne(random, donors) : out;
        if (donor.length > 0) {
          const from = pickInt(random, 0, donor.length - 1);
          out = Buffer.concat([out.subarray(0, at), donor.subarray(from, from + span), out.subarray(at)]);
        }
      }
    }
  }
  return out;
}

/**
 * Feeds mutations of `seeds` to `run` for `budgetMs`. Each input must finish within `perInputMs` and
 * either return (accepted / rejected by the target's own check) or throw a PatchdiscError; anything
 * else is a failure. Async hangs are cut by the timeout; a synchronous loop is caught after it returns.
 */
export async function fuzz(
  target: string,
  seeds: readonly Buffer[],
  run: (input: Buffer) => Promise<FuzzOutcome>,
  o: { random: () => number; budgetMs: number; perInputMs?: number; maxFailures?: number },
): Promise<FuzzStats> {
  const perInputMs = o.perInputMs ?? 5000;
  const stats: FuzzStats = { target, inputs: 0, accepted: 0, rejected: 0, failures: [] };
  const deadline = Date.now() + o.budgetMs;
  while (Date.now() < deadline && stats.failures.length < (o.maxFailures ?? 5)) {
    const input = mutate(pickOne(o.random, seeds), o.random, seeds);
    stats.inputs++;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        run(input),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`HANG: no answer within ${perInputMs} ms`)), perInputMs);
        }),
      ]);
      stats[outcome]++;
    } catch (err) {
      if (err instanceof PatchdiscError) stats.rejected++;
      else stats.failures.push(`${target}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)} (input ${input.length} bytes, base64 head ${input.subarray(0, 48).toString('base64')})`);
    } finally {
      clearTimeout(timer);
    }
    const took = Date.now() - started;
    if (took > perInputMs) stats.failures.push(`${target}: one input took ${took} ms (over ${perInputMs} ms)`);
  }
  console.log(`[chaos] fuzz ${target}: ${stats.inputs} inputs in ${o.budgetMs} ms, ${stats.accepted} accepted, ${stats.rejected} rejected, ${stats.failures.length} failures`);
  return stats;
}
