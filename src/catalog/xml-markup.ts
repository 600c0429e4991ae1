/**
 * The markup of the streaming tag scanner that is not a tag: `<?…?>` (the XML declaration, XML 1.0
 * §2.8, and processing instructions, §2.6), `<!--…-->` (§2.5), `<![CDATA[…]]>` (§2.7) and
 * `<!DOCTYPE` (§2.8), which is refused: without a DTD no entity can be declared, so nothing can expand.
 */
import { PatchdiscError } from '../errors.ts';

export interface MarkupContext {
  readonly label: string;
  /** Open elements. */
  readonly depth: number;
  /** Offset where the XML declaration may stand (after a byte order mark). */
  readonly documentStart: number;
  failAt(offset: number, reason: string): never;
}

const COMMENT_OPEN = Buffer.from('<!--');
const COMMENT_DASHES = Buffer.from('--');
const CDATA_OPEN = Buffer.from('<![CDATA[');
const CDATA_CLOSE = Buffer.from(']]>');
const DOCTYPE_OPEN = Buffer.from('<!DOCTYPE');
const PI_CLOSE = Buffer.from('?>');
const GT = 0x3e;
const QUESTION = 0x3f;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/** XML 1.0 §2.8 XMLDecl, with the encoding (if any) captured. */
const XML_DECLARATION = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])([A-Za-z][A-Za-z0-9._-]*)\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\4)?[ \t\r\n]*\?>$/;
const PI_TARGET = /^<\?([A-Za-z_][A-Za-z0-9._-]*)(?:[ \t\r\n]|\?>)/;

/** 1 when `data` has `literal` at `i`, 0 when it has not, -1 when the data ends before it can tell. */
function hasAt(data: Buffer, i: number, literal: Buffer): number {
  const available = Math.min(literal.length, data.length - i);
  if (data.compare(literal, 0, available, i, i + available) !== 0) return 0;
  return available === literal.length ? 1 : -1;
}

/** Refuses control characters (outside the Char production, XML 1.0 §2.2) in `data[start..end)`. */
function checkChars(ctx: MarkupContext, data: Buffer, base: number, start: number, end: number): void {
  for (let i = start; i < end; i += 1) {
    const b = data[i] as number;
    if (b < SPACE && b !== TAB && b !== LF && b !== CR) ctx.failAt(base + i, `the control character 0x${b.toString(16)}`);
  }
}

/**
 * Parses the `<!…` or `<?…` markup at `data[i]` (`base` is the absolute offset of `data[0]`); returns
 * the index after it, or -1 when the data ends before it does.
 */
export function parseMarkup(ctx: MarkupContext, data: Buffer, i: number, base: number): number {
  if (data[i + 1] === QUESTION) return processingInstruction(ctx, data, i, base);
  const comment = hasAt(data, i, COMMENT_OPEN);
  if (comment === 1) {
    const dashes = data.indexOf(COMMENT_DASHES, i + COMMENT_OPEN.length);
    if (dashes < 0 || dashes + 2 >= data.length) return -1;
    if (data[dashes + 2] !== GT) ctx.failAt(base + dashes, '"--" inside a comment');
    checkChars(ctx, data, base, i + COMMENT_OPEN.length, dashes);
    return dashes + 3;
  }
  const cdata = hasAt(data, i, CDATA_OPEN);
  if (cdata === 1) {
    if (ctx.depth === 0) ctx.failAt(base + i, 'a CDATA section outside the root element');
    const close = data.indexOf(CDATA_CLOSE, i + CDATA_OPEN.length);
    if (close < 0) return -1;
    checkChars(ctx, data, base, i + CDATA_OPEN.length, close);
    return close + CDATA_CLOSE.length;
  }
  const doctype = hasAt(data, i, DOCTYPE_OPEN);
  if (doctype === 1) {
    throw new PatchdiscError('XML_INVALID', `Cannot parse ${ctx.label}: it declares a DOCTYPE (byte ${base + i}), which this document never uses; refusing to expand entities`, {
      details: { label: ctx.label, byteOffset: base + i },
    });
  }
  if (comment === -1 || cdata === -1 || doctype === -1) return -1;
  return ctx.failAt(base + i, 'markup that is neither a comment, a CDATA section nor a tag');
}

function processingInstruction(ctx: MarkupContext, data: Buffer, i: number, base: number): number {
  const close = data.indexOf(PI_CLOSE, i + 2);
  if (close < 0) return -1;
  const text = data.toString('latin1', i, close + PI_CLOSE.length);
  const target = PI_TARGET.exec(text)?.[1];
  if (target === undefined) ctx.failAt(base + i, 'a processing instruction without a valid target');
  if (target.toLowerCase() === 'xml') {
    if (target !== 'xml' || base + i !== ctx.documentStart) ctx.failAt(base + i, 'an XML declaration that is not at the start of the file');
    const declaration = XML_DECLARATION.exec(text);
    if (declaration === null) ctx.failAt(base + i, 'a malformed XML declaration');
    const encoding = declaration[3];
    if (encoding !== undefined && encoding.toLowerCase() !== 'utf-8') ctx.failAt(base + i, `the declared encoding ${encoding}, where only UTF-8 is read`);
  }
  checkChars(ctx, data, base, i + 2, close);
  return close + PI_CLOSE.length;
}
