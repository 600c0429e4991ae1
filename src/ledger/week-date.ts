/**
 * ISO 8601 week arithmetic the ledger needs: a week's Monday (the date prices are looked up on and
 * the month a shipment is billed in) and the weeks whose Monday falls in a month. Pure, UTC only.
 */
import { PatchdiscError } from '../errors.ts';

const WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;
const MONTH_PATTERN = /^(\d{4})-(\d{2})$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Monday of ISO week 1 of `year`: the Monday of the week that holds 4 January (ISO 8601 §3.2.2). */
function week1Monday(year: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const weekday = (new Date(jan4).getUTCDay() + 6) % 7; // Monday = 0
  return jan4 - weekday * DAY_MS;
}

/** Number of ISO weeks in `year` (52 or 53). */
export function weeksInYear(year: number): number {
  return Math.round((week1Monday(year + 1) - week1Monday(year)) / (7 * DAY_MS));
}

/** The Monday (`YYYY-MM-DD`) of ISO week `YYYY-Www`. Throws VALIDATION on a malformed or absent week. */
export function weekMonday(week: string): string {
  const m = WEEK_PATTERN.exec(week);
  const year = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || n > weeksInYear(year)) {
    throw new PatchdiscError('VALIDATION', `Cannot read week "${week}": expected an ISO week such as 2025-W03`, {
      details: { week },
    });
  }
  return isoDate(week1Monday(year) + (n - 1) * 7 * DAY_MS);
}

/** The ISO week (`YYYY-Www`) holding `date` (`YYYY-MM-DD`). */
export function isoWeekOf(date: string): string {
  const ms = parseDate(date, 'date');
  const weekday = (new Date(ms).getUTCDay() + 6) % 7;
  const thursday = ms + (3 - weekday) * DAY_MS; // the week belongs to the year of its Thursday
  const year = new Date(thursday).getUTCFullYear();
  const n = Math.floor((thursday - week1Monday(year)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(n).padStart(2, '0')}`;
}

/** The ISO weeks whose Monday falls in `month` (`YYYY-MM`), in order: how the ledger bills by month. */
export function weeksOfMonth(month: string): string[] {
  const m = MONTH_PATTERN.exec(month);
  const year = Number(m?.[1]);
  const mon = Number(m?.[2]);
  if (!m || mon < 1 || mon > 12) {
    throw new PatchdiscError('VALIDATION', `Cannot read month "${month}": expected YYYY-MM such as 2025-01`, {
      details: { month },
    });
  }
  const first = Date.UTC(year, mon - 1, 1);
  const next = Date.UTC(year, mon, 1);
  const offset = (8 - new Date(first).getUTCDay()) % 7; // days from the 1st to the first Monday
  const weeks: string[] = [];
  for (let ms = first + offset * DAY_MS; ms < next; ms += 7 * DAY_MS) weeks.push(isoWeekOf(isoDate(ms)));
  return weeks;
}

/** `date` plus `days` days, both `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  return isoDate(parseDate(date, 'date') + days * DAY_MS);
}

/** True when `value` is a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(value: string): boolean {
  const m = DATE_PATTERN.exec(value);
  if (!m) return false;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDate(ms) === value;
}

function parseDate(value: string, what: string): number {
  if (!isIsoDate(value)) {
    throw new PatchdiscError('VALIDATION', `Cannot read ${what} "${value}": expected YYYY-MM-DD`, {
      details: { [what]: value },
    });
  }
  return Date.parse(`${value}T00:00:00Z`);
}
