import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { addDays, isIsoDate, isoWeekOf, weekMonday, weeksInYear, weeksOfMonth } from '../../../src/ledger/week-date.ts';

describe('weekMonday()', () => {
  it('gives the Monday of ISO weeks, including those that start in the previous year', () => {
    expect(weekMonday('2025-W01')).toBe('2024-12-30');
    expect(weekMonday('2025-W03')).toBe('2025-01-13');
    expect(weekMonday('2021-W01')).toBe('2021-01-04');
    expect(weekMonday('2020-W53')).toBe('2020-12-28');
    expect(weekMonday('2026-W53')).toBe('2026-12-28');
  });

  it('rejects malformed weeks and a week 53 the year does not have', () => {
    for (const bad of ['2025-W00', '2025-W53', '2025W03', '2025-W3', "2025-W03' OR 1=1"]) {
      expect(() => weekMonday(bad), bad).toThrowError(/Cannot read week/);
      try {
        weekMonday(bad);
      } catch (err) {
        expect(isPatchdiscError(err, 'VALIDATION')).toBe(true);
      }
    }
  });
});

describe('isoWeekOf()', () => {
  it('is the inverse of weekMonday for every day of the week', () => {
    for (const week of ['2024-W01', '2024-W52', '2025-W01', '2020-W53', '2026-W53', '2027-W01']) {
      const monday = weekMonday(week);
      for (let d = 0; d < 7; d++) expect(isoWeekOf(addDays(monday, d))).toBe(week);
    }
  });
});

describe('weeksOfMonth()', () => {
  it('lists the weeks whose Monday is in the month', () => {
    expect(weeksOfMonth('2025-01')).toEqual(['2025-W02', '2025-W03', '2025-W04', '2025-W05']);
    expect(weeksOfMonth('2024-12')).toEqual(['2024-W49', '2024-W50', '2024-W51', '2024-W52', '2025-W01']);
    expect(() => weeksOfMonth('2025-13')).toThrowError(/Cannot read month/);
  });
});

describe('weeksInYear() and isIsoDate()', () => {
  it('knows long years and real calendar dates', () => {
    expect(weeksInYear(2020)).toBe(53);
    expect(weeksInYear(2025)).toBe(52);
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2025-1-01')).toBe(false);
  });
});
