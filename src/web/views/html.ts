/**
 * HTML built by a tagged template that escapes every interpolated value: the one way the clerk page
 * writes markup. Only another SafeHtml (built by `html` itself) passes through unescaped.
 */

/** Markup known to be safe: made by `html`, never from a raw string. */
export class SafeHtml {
  readonly #text: string;
  private constructor(text: string) {
    this.#text = text;
  }
  /** Only for this module and for fixed markup literals; never call with user data. */
  static trusted(text: string): SafeHtml {
    return new SafeHtml(text);
  }
  toString(): string {
    return this.#text;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false || value === true) return '';
  return escapeHtml(String(value));
}

/** `html\`<td>${name}</td>\``: strings and numbers escaped, SafeHtml kept, arrays joined, null/booleans dropped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] ?? '');
  return SafeHtml.trusted(out);
}
