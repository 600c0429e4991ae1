/**
 * Character data checks shared by the streaming tag scanner: references (XML 1.0 §4.1, only the five
 * predefined entities of §4.6 and character references, since no DTD is ever accepted), the Char
 * production (§2.2) and attribute-value normalisation (§3.3.3).
 */

const AMP = 0x26;
const SEMICOLON = 0x3b;
const HASH = 0x23;
const LOWER_X = 0x78;
const GT = 0x3e;
const RSQB = 0x5d;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/** Longest reference worth reading (`&#x10FFFF;` with leading zeros still fits). */
const MAX_REFERENCE_BYTES = 32;

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** True for a byte of the S production (XML 1.0 §2.3): space, tab, line feed, carriage return. */
export function isXmlSpace(b: number): boolean {
  return b === SPACE || b === TAB || b === LF || b === CR;
}

/** True for a code point matching the Char production (XML 1.0 §2.2). */
export function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/**
 * Checks the reference starting at `bytes[at]` (an `&`) and returns the index after its `;`, or a
 * reason string when it is not one of the five predefined entities or a valid character reference.
 */
export function checkReference(bytes: Uint8Array, at: number, end: number): number | string {
  const limit = Math.min(end, at + MAX_REFERENCE_BYTES);
  let semi = at + 1;
  while (semi < limit && bytes[semi] !== SEMICOLON && bytes[semi] !== AMP) semi += 1;
  if (semi >= limit || bytes[semi] !== SEMICOLON) return 'a "&" that does not start a reference (write &amp;)';
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + at + 1, semi - at - 1).toString('latin1');
  if (bytes[at + 1] === HASH) {
    const hex = bytes[at + 2] === LOWER_X;
    const digits = body.slice(hex ? 2 : 1);
    const valid = hex ? /^[0-9a-fA-F]+$/.test(digits) : /^[0-9]+$/.test(digits);
    const cp = valid ? parseInt(digits, hex ? 16 : 10) : NaN;
    if (!isXmlChar(cp)) return `the character reference &${body}; does not name an XML character`;
    return semi + 1;
  }
  if (PREDEFINED[body] === undefined) return `a reference to the undefined entity &${body}; (no DTD is accepted, so only &lt; &gt; &amp; &quot; &apos; exist)`;
  return semi + 1;
}

/**
 * The value of an attribute whose raw text holds references or white space other than spaces:
 * line ends normalised (§2.11), then each TAB, LF and CR replaced by a space and references expanded
 * (§3.3.3). References were checked by the scanner already.
 */
export function normalizeAttributeValue(raw: string): string {
  return raw.replace(/\r\n?|[\t\n]|&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (match, ref: string | undefined) => {
    if (ref === undefined) return ' ';
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined) return predefined;
    return String.fromCodePoint(ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10));
  });
}

/**
 * Checks the character data `bytes[start..end)` inside the root element: references (§4.1), no
 * `]]>` (§2.4) and no control characters (§2.2). Returns the first error's index and reason.
 */
export function checkCharacterData(bytes: Uint8Array, start: number, end: number): { at: number; reason: string } | undefined {
  for (let i = start; i < end; i += 1) {
    const b = bytes[i] as number;
    if (b > GT) continue;
    if (b === AMP) {
      const after = checkReference(bytes, i, end);
      if (typeof after === 'string') return { at: i, reason: after };
      i = after - 1;
    } else if (b === GT && i >= start + 2 && bytes[i - 1] === RSQB && bytes[i - 2] === RSQB) {
      return { at: i - 2, reason: '"]]>" in text' };
    } else if (b < SPACE && b !== TAB && b !== LF && b !== CR) {
      return { at: i, reason: `the control character 0x${b.toString(16)}` };
    }
  }
  return undefined;
}
