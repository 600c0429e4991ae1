/**
 * ECMA-119 dates. All dates are written in UTC (offset 0) from epoch seconds, so one input date
 * gives byte-identical images on any machine and in any time zone.
 */
import { PatchdiscError } from '../errors.ts';

/** ECMA-119 9.1.5: 7-byte recording date and time in a directory record (also Rock Ridge TF). */
export const SHORT_DATE_LENGTH = 7;
/** ECMA-119 8.4.26.1: 17-byte volume date (16 ASCII digits + signed 15-minute GMT offset). */
export const LONG_DATE_LENGTH = 17;

const FIRST_YEAR = 1900;
const LAST_SHORT_YEAR = FIRST_YEAR + 255;
const LAST_LONG_YEAR = 9999;

function utcParts(epochSeconds: number, lastYear: number, what: string): Date {
  const d = new Date(epochSeconds * 1000);
  if (!Number.isInteger(epochSeconds) || Number.isNaN(d.getTime()) || d.getUTCFullYear() < FIRST_YEAR || d.getUTCFullYear() > lastYear) {
    throw new PatchdiscError('VALIDATION', `Cannot encode ${what}: ${epochSeconds} is not whole epoch seconds between ${FIRST_YEAR} and ${lastYear}`, {
      details: { epochSeconds },
    });
  }
  return d;
}

/** Writes the 7-byte form: years since 1900, month, day, hour, minute, second, GMT offset 0. */
export function writeShortDate(target: Uint8Array, offset: number, epochSeconds: number): void {
  const d = utcParts(epochSeconds, LAST_SHORT_YEAR, 'a recording date');
  target[offset] = d.getUTCFullYear() - FIRST_YEAR;
  target[offset + 1] = d.getUTCMonth() + 1;
  target[offset + 2] = d.getUTCDate();
  target[offset + 3] = d.getUTCHours();
  target[offset + 4] = d.getUTCMinutes();
  target[offset + 5] = d.getUTCSeconds();
  target[offset + 6] = 0;
}

/** Reads the 7-byte form back to epoch seconds (offset applied: 15-minute units east of GMT). */
export function readShortDate(source: Uint8Array, offset: number): number {
  const b = (i: number): number => source[offset + i] ?? 0;
  const gmtOffset = (b(6) << 24) >> 24;
  const ms = Date.UTC(FIRST_YEAR + b(0), b(1) - 1, b(2), b(3), b(4), b(5));
  return ms / 1000 - gmtOffset * 15 * 60;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Writes the 17-byte form `YYYYMMDDHHMMSScc` + offset 0; `undefined` writes "not specified". */
export function writeLongDate(target: Uint8Array, offset: number, epochSeconds: number | undefined): void {
  let digits = '0'.repeat(LONG_DATE_LENGTH - 1);
  if (epochSeconds !== undefined) {
    const d = utcParts(epochSeconds, LAST_LONG_YEAR, 'a volume date');
    digits =
      pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) +
      pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + '00';
  }
  for (let i = 0; i < digits.length; i++) target[offset + i] = digits.charCodeAt(i);
  target[offset + LONG_DATE_LENGTH - 1] = 0;
}
