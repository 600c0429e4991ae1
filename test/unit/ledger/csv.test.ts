import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { parseCsv, restoreCell, toCsv } from '../../../src/ledger/csv.ts';

describe('toCsv()', () => {
  it('writes a BOM, CRLF line ends and RFC 4180 quoting', () => {
    const text = toCsv([['a', 'b,c'], ['say "hi"', 'two\nlines'], ['北京', '']]);
    expect(text).toBe('\uFEFFa,"b,c"\r\n"say ""hi""","two\nlines"\r\n北京,\r\n');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    const text = toCsv([['=HYPERLINK("http://evil","click")', '+1', '-2', '@SUM(A1)', '\tx', '\rx', 'safe=1']]);
    expect(text).toBe(`\uFEFF"'=HYPERLINK(""http://evil"",""click"")",'+1,'-2,'@SUM(A1),'\tx,"'\rx",safe=1\r\n`);
    expect(text).not.toMatch(/(^|,|\uFEFF)"?=/);
  });
});

describe('parseCsv()', () => {
  it('reads what toCsv wrote, with the line each record starts on', () => {
    const rows = [['code', 'notes'], ['A1', 'first\nsecond'], ['B2', '=x']];
    const records = parseCsv(toCsv(rows));
    expect(records.map((r) => r.line)).toEqual([1, 2, 4]);
    expect(records.map((r) => r.cells.map(restoreCell))).toEqual(rows);
  });

  it('accepts LF line ends, skips blank lines and keeps empty cells', () => {
    expect(parseCsv('a,b\n\n,c\n')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 3, cells: ['', 'c'] },
    ]);
  });

  it('reports an unclosed quote with its line as VALIDATION', () => {
    let err: unknown;
    try {
      parseCsv('a,b\nc,"open\nmore');
    } catch (e) {
      err = e;
    }
    expect(isPatchdiscError(err, 'VALIDATION')).toBe(true);
    expect((err as Error).message).toContain('line 2');
    expect(() => parseCsv('"a"b,c')).toThrowError(/line 1: text after a closing quote/);
  });
});
