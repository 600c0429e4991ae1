import { PatchdiscError } from '../errors.ts';

/** An ISO 8601 week, "2026-W48". Weeks start on Monday; week 1 holds the year's first Thursday. */
export type IsoWeek = string;

const WEEK_RE = /^(\d{4})-W(\d{2})$/;
const DAY_MS = 86_400_000;

/** Validates and normalises a week string; a bad one is a USAGE error. */
export function parseWeek(week: string): { year: number; week: number } {
  const m = WEEK_RE.exec(week);
  if (!m) throw new PatchdiscError('USAGE', `Cannot use week "${week}": expected YYYY-Www, e.g. 2026-W48`);
  const year = Number(m[1]);
  const w = Number(m[2]);
  if (w < 1 || w > weeksInYear(year)) {
    throw new PatchdiscError('USAGE', `Cannot use week "${week}": ${year} has ${weeksInYear(year)} weeks`);
  }
  return { year, week: w };
}

function weeksInYear(year: number): number {
  // A year has 53 ISO weeks when Dec 28 falls in week 53.
  return isoWeekOfUtcDate(new Date(Date.UTC(year, 11, 28))).week;
}

function isoWeekOfUtcDate(d: Date): { year: number; week: number } {
  const day = (d.getUTCDay() + 6) % 7; // Monday = 0
  const thursday = new Date(d.getTime() + (3 - day) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / DAY_MS / 7) + 1;
  return { year, week };
}

/** The calendar date (YYYY-MM-DD) of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The ISO week that contains `instant` in `timeZone`. */
export function weekOf(instant: Date, timeZone: string): IsoWeek {
  const { year, week } = isoWeekOfUtcDate(new Date(`${localDate(instant, timeZone)}T00:00:00Z`));
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** Monday of the week as YYYY-MM-DD. */
export function weekMonday(week: IsoWeek): string {
  const { year, week: w } = parseWeek(week);
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const mondayOfWeek1 = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY_MS;
  return new Date(mondayOfWeek1 + (w - 1) * 7 * DAY_MS).toISOString().slice(0, 10);
}

/** The week `n` weeks after `week` (n may be negative). */
export function addWeeks(week: IsoWeek, n: number): IsoWeek {
  const monday = new Date(`${weekMonday(week)}T00:00:00Z`);
  const { year, week: w } = isoWeekOfUtcDate(new Date(monday.getTime() + n * 7 * DAY_MS));
  return `${year}-W${String(w).padStart(2, '0')}`;
}

/**
 * The instant a week's discs are dated: Monday 00:00 UTC of that week. Every date on a disc derives
 * from it, so a rebuild of the same week is byte-identical.
 */
export function weekEpoch(week: IsoWeek): number {
  return Date.parse(`${weekMonday(week)}T00:00:00Z`) / 1000;
}
