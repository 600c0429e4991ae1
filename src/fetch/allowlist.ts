/**
 * Which hosts the downloader may connect to. Checked before the first connection and again on every
 * redirect hop, so a compromised or misconfigured redirect cannot send a request elsewhere.
 */

/**
 * Microsoft's download hosts. An entry matches itself and, when listed in
 * `DEFAULT_ALLOWED_SUFFIXES`, its subdomains.
 */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = Object.freeze([
  'download.windowsupdate.com',
  'catalog.s.download.windowsupdate.com',
  'catalog.sf.dl.delivery.mp.microsoft.com',
  'download.microsoft.com',
]);

/** Default hosts whose subdomains are allowed too (the CDN uses au./*.download.windowsupdate.com). */
const DEFAULT_ALLOWED_SUFFIXES: readonly string[] = ['download.windowsupdate.com'];

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** Lowercase host without a trailing root dot ("Example.COM." → "example.com"). */
function canonicalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Split an allow-list entry "host", "host:port", "[v6]" or "[v6]:port" into host and optional port. */
function parseEntry(entry: string): { host: string; port?: string } {
  const text = entry.trim();
  const v6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(text);
  if (v6?.[1] !== undefined) {
    return v6[2] === undefined ? { host: canonicalHost(v6[1]) } : { host: canonicalHost(v6[1]), port: v6[2] };
  }
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  if (hostPort?.[1] !== undefined && hostPort[2] !== undefined) {
    return { host: canonicalHost(hostPort[1]), port: hostPort[2] };
  }
  return { host: canonicalHost(text) };
}

/**
 * True when `url` uses http or https and its host is one of Microsoft's download hosts (default
 * ports only) or an `extra` entry ("host" = any port, "host:port" = that port only). Loopback and
 * mirror hosts are allowed only when listed in `extra`. User info in the URL is refused.
 */
export function isHostAllowed(url: URL, extra: readonly string[]): boolean {
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) return false;
  if (url.username !== '' || url.password !== '') return false;
  const host = canonicalHost(url.hostname);
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : url.port;
  for (const entry of extra) {
    const parsed = parseEntry(entry);
    if (parsed.host === host && (parsed.port === undefined || parsed.port === port)) return true;
  }
  if (url.port !== '' && url.port !== DEFAULT_PORTS[url.protocol]) return false;
  if (DEFAULT_ALLOWED_HOSTS.includes(host)) return true;
  return DEFAULT_ALLOWED_SUFFIXES.some((suffix) => host.endsWith(`.${suffix}`));
}
