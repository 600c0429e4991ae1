/**
 * CSV for the clerk's spreadsheet (RFC 4180): writing that Excel opens correctly and safely, and a
 * reader that keeps the line number each record starts on.
 */
import { PatchdiscError } from '../errors.ts';

const BOM = '\uFEFF';
/** Leading characters that make a spreadsheet treat a cell as a formula (CSV/formula injection). */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** Makes a cell inert in a spreadsheet: a cell starting with = + - @ TAB or CR gets a leading '. */
export function neutraliseCell(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

/** Undoes neutraliseCell on a cell read back from a CSV this module wrote. */
export function restoreCell(cell: string): string {
  return cell.length > 1 && cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}

/**
 * CSV text Excel opens as UTF-8: BOM, CRLF line ends, fields quoted when they hold a quote, comma
 * or line break (quotes doubled, RFC 4180 §2.6–2.7), formula-looking cells neutralised.
 */
export function toCsv(rows: readonly (readonly string[])[]): string {
  const lines = rows.map((row) =>
    row
      .map((raw) => {
        const cell = neutraliseCell(raw);
        return NEEDS_QUOTES.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
      })
      .join(','),
  );
  return BOM + lines.map((l) => `${l}\r\n`).join('');
}

export interface CsvRecord {
  /** 1-based line of the text on which the record starts. */
  line: number;
  cells: string[];
}

/**
 * Parses CSV text (RFC 4180; LF or CRLF line ends; a leading BOM ignored). Blank lines are skipped.
 * Throws VALIDATION on a quote left open or text after a closing quote, naming the line.
 */
export function parseCsv(text: string, source = 'CSV'): CsvRecord[] {
  const s = text.startsWith(BOM) ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < s.length) {
    const start = line;
    const cells: string[] = [];
    let cell = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (s[i] === '"') {
        i++;
        for (;;) {
          if (i >= s.length) {
            throw new PatchdiscError('VALIDATION', `Cannot read ${source}: line ${start}: a quoted field is never closed; close it with "`, {
              details: { line: start },
            });
          }
          const ch = s[i] as string;
          if (ch === '"') {
            if (s[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (ch === '\n') line++;
          cell += ch;
          i++;
        }
        const next = s[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new PatchdiscError('VALIDATION', `Cannot read ${source}: line ${line}: text after a closing quote; double quotes inside a quoted field`, {
            details: { line },
          });
        }
      } else {
        while (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') cell += s[i++] as string;
      }
      cells.push(cell);
      cell = '';
      if (s[i] === ',') {
        i++;
        continue;
      }
      if (s[i] === '\r') i++;
      if (s[i] === '\n') i++;
      line++;
      endOfRecord = true;
    }
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: start, cells });
  }
  return records;
}
