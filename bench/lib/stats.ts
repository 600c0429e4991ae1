/**
 * Small statistics for benchmark samples: median, percentiles and ratios. Pure functions so the unit
 * tests can pin them down.
 */

/** Median of `values` (mean of the two middle values for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] as number;
  return ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The `p`-th percentile (0–100) by the nearest-rank method: the smallest sample with at least p % of
 * the samples at or below it. NaN for no samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`Cannot take percentile ${p}: it must be within 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** ours / reference; undefined when either is not a positive finite number. Lower is better. */
export function ratio(ours: number | undefined, reference: number | undefined): number | undefined {
  if (ours === undefined || reference === undefined) return undefined;
  if (!Number.isFinite(ours) || !Number.isFinite(reference) || reference <= 0 || ours < 0) return undefined;
  return ours / reference;
}

/** Throughput in MB/s (MB = 10^6 bytes, as the reference measurements); undefined without a time. */
export function megabytesPerSecond(bytes: number, seconds: number): number | undefined {
  if (!(seconds > 0) || !Number.isFinite(seconds)) return undefined;
  return bytes / 1e6 / seconds;
}

/** Parses a size such as `256MiB`, `2GiB`, `64MB`, `1048576` into bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB)?$/i.exec(text.trim());
  if (m === null) throw new RangeError(`Cannot read size "${text}": use a number with B, KiB, MiB, GiB, KB, MB or GB`);
  const unit = (m[2] ?? 'B').toLowerCase();
  const scale: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };
  const bytes = Math.round(Number(m[1]) * (scale[unit] as number));
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`Cannot read size "${text}": it must be a positive number of bytes`);
  return bytes;
}

/** 'meets' when `value` ≤ `limit`, 'misses' above it, 'n/a' when there is no value. */
export function verdictAtMost(value: number | undefined, limit: number): 'meets' | 'misses' | 'n/a' {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return value <= limit ? 'meets' : 'misses';
}

/** The worst of several verdicts: any miss misses, any n/a (without a miss) is n/a. */
export function combineVerdicts(verdicts: readonly ('meets' | 'misses' | 'n/a')[]): 'meets' | 'misses' | 'n/a' {
  if (verdicts.includes('misses')) return 'misses';
  if (verdicts.length === 0 || verdicts.includes('n/a')) return 'n/a';
  return 'meets';
}
