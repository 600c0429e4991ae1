/**
 * A small, safe element tree for the little XML documents of the catalog: index.xml and the detail
 * fragments `c/`, `x/`, `l/<lang>/` of wsusscn2.cab. Fragments have several top-level elements and no
 * single root (FORMAT-NOTES §1), so they are wrapped in a synthetic root before parsing.
 *
 * DOCTYPE (and with it every entity declaration) is refused before any expansion can happen; saxes
 * itself rejects references to undefined entities. Namespaces are resolved and dropped: elements are
 * addressed by local name, because the same data comes with and without the OfflineSync namespace.
 */
import { SaxesParser } from 'saxes';
import { PatchdiscError } from '../errors.ts';

export interface XmlElement {
  /** Local name (namespace prefix removed). */
  name: string;
  /** Attributes by local name. */
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated direct text content. */
  text: string;
}

const WRAPPER = 'patchdisc-fragment';
const XML_DECLARATION = /^\uFEFF?\s*<\?xml[^?]*\?>/;

/** Decodes a fragment's bytes: UTF-16LE when it starts with that BOM, UTF-8 otherwise. */
export function decodeXmlBytes(bytes: Uint8Array, label: string): string {
  const utf16 = bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe;
  try {
    return new TextDecoder(utf16 ? 'utf-16le' : 'utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new PatchdiscError('XML_INVALID', `Cannot decode ${label}: it is not valid ${utf16 ? 'UTF-16' : 'UTF-8'} text; the catalog is damaged, download it again`, {
      cause,
      details: { label },
    });
  }
}

/**
 * Parses `text` (a document or a root-less fragment) into a tree whose root is a synthetic element
 * holding the top-level elements. Throws XML_INVALID on DOCTYPE, undefined entities or bad syntax.
 */
export function parseXmlFragment(text: string, label: string): XmlElement {
  const body = text.replace(XML_DECLARATION, '');
  const root: XmlElement = { name: WRAPPER, attrs: {}, children: [], text: '' };
  const stack: XmlElement[] = [];
  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on('doctype', () => {
    throw new PatchdiscError('XML_INVALID', `Cannot parse ${label}: it declares a DOCTYPE, which the catalog never uses; refusing to expand entities`, {
      details: { label },
    });
  });
  parser.on('opentag', (tag) => {
    const attrs: Record<string, string> = {};
    for (const attr of Object.values(tag.attributes)) {
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      attrs[attr.local] = attr.value;
    }
    const element: XmlElement = { name: tag.local, attrs, children: [], text: '' };
    (stack.at(-1) ?? root).children.push(element);
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  parser.on('cdata', (t) => {
    const top = stack.at(-1);
    if (top) top.text += t;
  });
  try {
    parser.write(`<${WRAPPER}>`).write(body).write(`</${WRAPPER}>`).close();
  } catch (cause) {
    if (cause instanceof PatchdiscError) throw cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new PatchdiscError('XML_INVALID', `Cannot parse ${label}: ${reason}; the catalog is damaged, download it again`, {
      cause,
      details: { label, line: parser.line, column: parser.column },
    });
  }
  // The synthetic root is itself pushed first; unwrap it.
  const wrapper = root.children[0];
  if (!wrapper || wrapper.name !== WRAPPER) {
    throw new PatchdiscError('INTERNAL', `Cannot parse ${label}: the fragment wrapper is missing`);
  }
  return wrapper;
}

/** First child element named `name`, searched depth-first below `el`. */
export function findElement(el: XmlElement, name: string): XmlElement | undefined {
  for (const child of el.children) {
    if (child.name === name) return child;
    const deeper = findElement(child, name);
    if (deeper) return deeper;
  }
  return undefined;
}

/** All descendants named `name`, in document order. */
export function findElements(el: XmlElement, name: string, out: XmlElement[] = []): XmlElement[] {
  for (const child of el.children) {
    if (child.name === name) out.push(child);
    findElements(child, name, out);
  }
  return out;
}
