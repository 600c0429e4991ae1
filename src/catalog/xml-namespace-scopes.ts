/**
 * Namespace prefix bindings of the streaming tag scanner (Namespaces in XML 1.0 §3 declaring, §5
 * scoping, §6.1 the undeclared default): each element's declarations are bound when it opens and
 * dropped when it closes. The default namespace is kept apart from the prefixed bindings because
 * nearly every element asks for it.
 */
import type { XmlAttributes } from './xml-attributes.ts';
import type { XmlName } from './xml-name-table.ts';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

export class NamespaceScopes {
  /** Prefixes bound by each open element, and the bindings by prefix (innermost last). */
  private readonly declared: (string[] | undefined)[] = [];
  private readonly bindings = new Map<string, string[]>([['xml', [XML_NS]]]);
  /** The URI bound to unprefixed element names ('' when none). */
  private defaultUri = '';

  /**
   * Opens the scope of an element with these attributes, binding their namespace declarations;
   * `fail` is called for a declaration Namespaces in XML 1.0 forbids (§3, reserved prefixes).
   */
  open(attrs: XmlAttributes, fail: (reason: string) => never): void {
    let declared: string[] | undefined;
    for (let k = 0; k < attrs.count; k += 1) {
      const attr = attrs.name(k);
      const prefix = attr.namespacePrefix;
      if (prefix === undefined) continue;
      const uri = attrs.value(k);
      if (prefix !== '' && uri === '') fail(`${attr.qname} binds its prefix to an empty namespace name`);
      if (prefix === 'xml' || prefix === 'xmlns') fail(`${attr.qname} rebinds a reserved prefix`);
      const list = this.bindings.get(prefix) ?? [];
      list.push(uri);
      this.bindings.set(prefix, list);
      (declared ??= []).push(prefix);
      if (prefix === '') this.defaultUri = uri;
    }
    this.declared.push(declared);
  }

  /** The namespace URI of `name` ('' for an unprefixed name without default), or undefined when its prefix is not bound. */
  resolve(name: XmlName): string | undefined {
    if (name.prefix === '') return this.defaultUri;
    return this.bindings.get(name.prefix)?.at(-1);
  }

  /** Closes the innermost scope. */
  close(): void {
    const declared = this.declared.pop();
    if (declared === undefined) return;
    for (const prefix of declared) {
      const list = this.bindings.get(prefix);
      list?.pop();
      if (prefix === '') this.defaultUri = list?.at(-1) ?? '';
    }
  }
}
