import { PatchdiscError } from '../errors.ts';

/** Payload faults act on download paths; catalog faults on wsusscn2.cab. */
export const PAYLOAD_FAULTS = ['reset', 'status503', 'notFound', 'stall', 'trickle', 'wrongBytes', 'lyingLength', 'redirectForeign'] as const;
export const CATALOG_FAULTS = ['truncatedCatalog', 'malformedXml'] as const;
export type FaultKind = (typeof PAYLOAD_FAULTS)[number] | (typeof CATALOG_FAULTS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** How many requests it hits; unlimited when omitted. */
  times?: number;
  /** Only paths containing this text (case-insensitive). */
  match?: string;
  /** 'stall': pause length (default 5000 ms). */
  ms?: number;
  /** 'trickle': sending rate (default 65536 bytes/s). */
  bytesPerSecond?: number;
}

const ALL_KINDS: readonly string[] = [...PAYLOAD_FAULTS, ...CATALOG_FAULTS];

/**
 * Parses the CLI form `kind[:key=value]…[,kind…]`, e.g. `reset:times=2,status503:times=1:match=kb5046613`.
 * Keys: times, match, ms, rate (bytes per second).
 */
export function parseFaults(text: string): FaultSpec[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((item) => {
      const [kind = '', ...options] = item.split(':');
      if (!ALL_KINDS.includes(kind)) {
        throw new PatchdiscError('USAGE', `Cannot parse fault "${item}": unknown kind "${kind}"; use one of ${ALL_KINDS.join(', ')}`);
      }
      const spec: FaultSpec = { kind: kind as FaultKind };
      for (const option of options) {
        const eq = option.indexOf('=');
        const key = eq < 0 ? option : option.slice(0, eq);
        const value = eq < 0 ? '' : option.slice(eq + 1);
        if (key === 'match' && value.length > 0) spec.match = value;
        else if (key === 'times') spec.times = positiveInt(value, item, key);
        else if (key === 'ms') spec.ms = positiveInt(value, item, key);
        else if (key === 'rate') spec.bytesPerSecond = positiveInt(value, item, key);
        else throw new PatchdiscError('USAGE', `Cannot parse fault "${item}": unknown or empty option "${option}"; use times=N, match=TEXT, ms=N or rate=N`);
      }
      return spec;
    });
}

function positiveInt(value: string, item: string, key: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new PatchdiscError('USAGE', `Cannot parse fault "${item}": ${key} must be a whole number from 1, got "${value}"`);
  }
  return n;
}

/** Hands out faults to requests, counting down each one's `times`. */
export class FaultInjector {
  private readonly remaining: (number | undefined)[];

  constructor(private readonly specs: readonly FaultSpec[]) {
    this.remaining = specs.map((s) => s.times);
  }

  /** The first fault among `kinds` that applies to `path` and still has uses; consumes one use. */
  take(path: string, kinds: readonly FaultKind[]): FaultSpec | undefined {
    const lower = path.toLowerCase();
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i];
      if (spec === undefined || !kinds.includes(spec.kind)) continue;
      if (spec.match !== undefined && !lower.includes(spec.match.toLowerCase())) continue;
      const left = this.remaining[i];
      if (left !== undefined && left <= 0) continue;
      if (left !== undefined) this.remaining[i] = left - 1;
      return spec;
    }
    return undefined;
  }
}
