import { createHash } from 'node:crypto';
import { PatchdiscError } from '../errors.ts';

/*
 * Simulated time. Week n starts on WEEK0_START + 7n days. Patch Tuesday of "month" k falls in week
 * 4k + 1 (its Tuesday), so weeks 1, 5, 9, … bring new updates and the weeks between bring nothing.
 * Month k is labelled with the calendar month November 2026 + k; 4-week months drift against the
 * calendar by about two days a month, which the simulator accepts.
 * Week 0 already holds months -2 and -1 (the baseline history).
 */

const DAY_MS = 86_400_000;
const WEEK0_START_MS = Date.UTC(2026, 10, 2); // Monday 2 November 2026
const MONTH0_YEAR = 2026;
const MONTH0_MONTH = 10; // 0-based: November
export const WEEKS_PER_MONTH = 4;
/** Oldest simulated month; week 0 holds FIRST_MONTH … -1. */
export const FIRST_MONTH = -2;
const RELEASE_HOUR_UTC = 18; // 10:00 Pacific, when Microsoft publishes
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export interface MonthLabel {
  index: number;
  year: number;
  /** 1–12 */
  month: number;
  /** CVRF document id, e.g. 2026-Nov */
  cvrfId: string;
  /** Title prefix used by Windows update titles, e.g. 2026-11 */
  titlePrefix: string;
  longName: string;
  /** Patch Tuesday, 18:00 UTC */
  released: Date;
  releaseWeek: number;
}

export function assertWeek(week: number): void {
  if (!Number.isInteger(week) || week < 0) {
    throw new PatchdiscError('VALIDATION', `Cannot simulate week ${week}: weeks are whole numbers from 0`);
  }
}

export function weekStart(week: number): Date {
  return new Date(WEEK0_START_MS + week * 7 * DAY_MS);
}

/** The newest month whose Patch Tuesday has happened by week `week`. */
export function lastMonthAt(week: number): number {
  return Math.floor((week - 1) / WEEKS_PER_MONTH);
}

export function monthLabel(index: number): MonthLabel {
  const total = MONTH0_YEAR * 12 + MONTH0_MONTH + index;
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  const releaseWeek = WEEKS_PER_MONTH * index + 1;
  const released = new Date(weekStart(releaseWeek).getTime() + DAY_MS + RELEASE_HOUR_UTC * 3_600_000);
  return {
    index,
    year,
    month: month0 + 1,
    cvrfId: `${year}-${MONTH_NAMES[month0] ?? '???'}`,
    titlePrefix: `${year}-${String(month0 + 1).padStart(2, '0')}`,
    longName: `${MONTH_LONG[month0] ?? '???'} ${year}`,
    released,
    releaseWeek,
  };
}

/** Months present in the catalog at `week`, oldest first. */
export function monthsAt(week: number): MonthLabel[] {
  assertWeek(week);
  const months: MonthLabel[] = [];
  for (let k = FIRST_MONTH; k <= lastMonthAt(week); k++) months.push(monthLabel(k));
  return months;
}

/** A GUID derived from `parts` (stable, looks like a random version-4 GUID). */
export function deterministicGuid(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(parts.join('\0')).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x40;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A number in [min, max] derived from `parts`. */
export function deterministicInt(min: number, max: number, ...parts: (string | number)[]): number {
  const h = createHash('sha1').update(parts.join('\0')).digest();
  return min + (h.readUInt32LE(0) % (max - min + 1));
}

/** ISO-8601 UTC without milliseconds, as package.xml writes dates. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
