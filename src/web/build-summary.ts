/**
 * What the weekly-builds page shows of each build: KB counts and data size, read from the report
 * stage's output (a PipelineReport, src/pipeline/report.ts), and the same summed per week. Pure.
 */
import { z } from 'zod';
import type { BuildWithReport } from './queries.ts';

/** The parts of PipelineReport read here; anything else in the JSON is ignored. */
const reportSchema = z.object({
  current: z.array(z.object({ kb: z.string().optional() }).loose()),
  sets: z.array(z.object({ kbs: z.array(z.string()), bytes: z.number().nonnegative() }).loose()),
});

export interface ReportSummary {
  /** KBs in the pipeline's current (non-superseded) selection. */
  currentKbs: number;
  /** Distinct KBs put on any subscriber's discs this week. */
  shippedKbs: string[];
  sets: number;
  /** Sum of the disc sets' content bytes. */
  bytes: number;
}

/** The summary of one report stage output, or undefined when absent or not a PipelineReport. */
export function summariseReport(json: string | null): ReportSummary | undefined {
  if (json === null) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const r = parsed.data;
  const current = new Set(r.current.map((c) => c.kb).filter((kb): kb is string => kb !== undefined));
  const shipped = new Set(r.sets.flatMap((s) => s.kbs));
  return {
    currentKbs: current.size,
    shippedKbs: [...shipped].sort(),
    sets: r.sets.length,
    bytes: r.sets.reduce((sum, s) => sum + s.bytes, 0),
  };
}

export interface WeekTotal {
  week: string;
  /** Distinct KBs shipped that week over every pipeline. */
  kbs: number;
  bytes: number;
}

/** Per week (oldest first), the builds' shipped KBs (distinct) and bytes summed over pipelines. */
export function weeklyTotals(builds: readonly BuildWithReport[]): WeekTotal[] {
  const byWeek = new Map<string, { kbs: Set<string>; bytes: number }>();
  for (const b of builds) {
    const s = summariseReport(b.reportJson);
    if (s === undefined) continue;
    const acc = byWeek.get(b.week) ?? { kbs: new Set<string>(), bytes: 0 };
    for (const kb of s.shippedKbs) acc.kbs.add(kb);
    acc.bytes += s.bytes;
    byWeek.set(b.week, acc);
  }
  return [...byWeek.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([week, acc]) => ({ week, kbs: acc.kbs.size, bytes: acc.bytes }));
}
