import { PatchdiscError } from '../errors.ts';

/**
 * Maps Microsoft download hosts to a mirror: `{ "download.windowsupdate.com": "http://mirror.lan:8080" }`
 * fetches `http://download.windowsupdate.com/d/msdownload/…` from `http://mirror.lan:8080/d/msdownload/…`.
 * The catalog's own URL stays the file's source URL (on the disc too); only the fetch goes elsewhere.
 */
export type MirrorMap = Readonly<Record<string, string>>;

/** The URL to fetch for `url`: the same path and query on the mirror of its host, or `url` itself. */
export function applyMirror(url: string, mirrors: MirrorMap): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url; // Not a URL: the downloader reports it.
  }
  const base = mirrors[parsed.host.toLowerCase()] ?? mirrors[parsed.hostname.toLowerCase()];
  if (base === undefined) return url;
  let target: URL;
  try {
    target = new URL(base);
  } catch (cause) {
    throw new PatchdiscError('CONFIG_INVALID', `Cannot use mirror ${base} for ${parsed.host}: not a URL`, { cause });
  }
  const prefix = target.pathname.replace(/\/+$/, '');
  return `${target.protocol}//${target.host}${prefix}${parsed.pathname}${parsed.search}`;
}

/** Hosts ("host:port") the mirrors point at: configuring a mirror allows downloads from it. */
export function mirrorHosts(mirrors: MirrorMap): string[] {
  return Object.values(mirrors).map((b) => new URL(b).host);
}
