/**
 * Writes a deterministic synthetic wsusscn2 package.xml of about `targetBytes` (default 105 MB, the
 * size of a real one; FORMAT-NOTES §1): the OfflineSync root, Updates (bundles with Categories,
 * SupersededBy, Prerequisites and Languages; their children with BundledBy and PayloadFiles) and the
 * FileLocations of every payload at the end, whose URLs carry the same SHA-1 as their Id.
 *
 * Run alone: `node --import tsx bench/gen-package-xml.ts <out.xml> [bytes]`.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Xorshift128 } from './lib/tree.ts';

export const OFFLINE_SYNC_NS = 'http://schemas.microsoft.com/msus/2004/02/OfflineSync';
export const DEFAULT_PACKAGE_XML_BYTES = 105_000_000;

/** Flush the text buffer to the file at this many characters. */
const FLUSH_CHARS = 1 << 20;
/** Bytes of one FileLocation element, measured on this generator's output (used to stop the Updates). */
const ESTIMATED_LOCATION_BYTES = 206;
const FIRST_REVISION = 10_000_000;

const CLASSIFICATIONS = ['0fa1201d-4330-4fa8-8ae9-b877473b6441', 'e6cf1350-c01b-414d-a61f-263d14d133b4', 'cd5ffd1e-e932-4e3a-bf74-18bf0b1bbd83', '28bc880e-0592-4cbf-8f95-c79b17911d5f'];
const PRODUCTS = ['windows10.0', 'windows11.0', 'windowsserver2019', 'windowsserver2022', 'ndp48', 'office2016'];
const LANGS = ['en', 'zh-cn', 'de', 'ja', 'fr', 'es', 'ru', 'ko'];

export interface PackageXmlStats {
  bytes: number;
  updates: number;
  bundles: number;
  fileLocations: number;
}

function guid(rng: Xorshift128): string {
  const h = (n: number): string => rng.nextU32().toString(16).padStart(8, '0').slice(0, n);
  return `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(8)}${h(4)}`;
}

/** The 20 SHA-1 bytes of payload number `k` (pseudo-random, stable). */
function payloadSha1(k: number): Buffer {
  const rng = new Xorshift128(k + 0x5eed);
  const b = Buffer.alloc(20);
  for (let i = 0; i < 20; i += 4) b.writeUInt32BE(rng.nextU32(), i);
  return b;
}

function date(rng: Xorshift128): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `20${two(rng.int(10, 25))}-${two(rng.int(1, 12))}-${two(rng.int(1, 28))}T${two(rng.int(0, 23))}:${two(rng.int(0, 59))}:${two(rng.int(0, 59))}Z`;
}

/** Writes the file; returns its size and element counts. */
export async function generatePackageXml(path: string, targetBytes = DEFAULT_PACKAGE_XML_BYTES, seed = 7): Promise<PackageXmlStats> {
  const rng = new Xorshift128(seed);
  const out = createWriteStream(path);
  let text = '';
  let bytes = 0;
  const emit = async (s: string): Promise<void> => {
    text += s;
    if (text.length >= FLUSH_CHARS) await flush();
  };
  const flush = async (): Promise<void> => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
    text = '';
  };

  await emit(
    `<?xml version="1.0" encoding="utf-8"?><OfflineSyncPackage xmlns="${OFFLINE_SYNC_NS}" MinimumClientVersion="5.8.0.2678" ProtocolVersion="1.0" PackageId="${guid(rng)}" SourceId="cc56dcba-9026-4399-8535-7a3c9bed7086" CreationDate="2025-01-07T03:56:57Z" PackageVersion="1.1"><Updates>`,
  );
  let revision = FIRST_REVISION;
  let payloads = 0;
  let updates = 0;
  let bundles = 0;
  const written = (): number => bytes + text.length;
  while (written() + payloads * ESTIMATED_LOCATION_BYTES < targetBytes) {
    // One bundle and its 1–3 children, as a monthly update for several architectures looks.
    const bundle = revision++;
    const superseded = rng.next() < 0.6 ? `<SupersededBy><Revision Id="${bundle + rng.int(10, 5000)}"/>${rng.next() < 0.3 ? `<Revision Id="${bundle + rng.int(5001, 9000)}"/>` : ''}</SupersededBy>` : '';
    const prereq = rng.next() < 0.5 ? `<Prerequisites><UpdateId Id="${guid(rng)}"/><Or><UpdateId Id="${guid(rng)}"/><UpdateId Id="${guid(rng)}"/></Or></Prerequisites>` : '';
    await emit(
      `<Update CreationDate="${date(rng)}" DefaultLanguage="en" UpdateId="${guid(rng)}" RevisionNumber="${rng.int(100, 210)}" RevisionId="${bundle}" IsBundle="true" IsLeaf="true"><Categories><Category Type="Company" Id="56309036-4c77-4dd9-951a-99ee9c246a94"/><Category Type="Product" Id="${guid(rng)}"/><Category Type="UpdateClassification" Id="${CLASSIFICATIONS[rng.int(0, CLASSIFICATIONS.length - 1)]}"/></Categories>${superseded}${prereq}<Languages><Language Name="${LANGS[rng.int(0, LANGS.length - 1)]}"/></Languages></Update>`,
    );
    updates += 1;
    bundles += 1;
    const children = rng.int(1, 3);
    for (let c = 0; c < children; c += 1) {
      const files = rng.int(1, 2);
      let payload = '';
      for (let f = 0; f < files; f += 1) payload += `<File Id="${payloadSha1(payloads + f).toString('base64')}"/>`;
      payloads += files;
      await emit(
        `<Update CreationDate="${date(rng)}" DefaultLanguage="en" UpdateId="${guid(rng)}" RevisionNumber="${rng.int(100, 210)}" RevisionId="${revision++}" DeploymentAction="Bundle" IsLeaf="true"><BundledBy><Revision Id="${bundle}"/></BundledBy><PayloadFiles>${payload}</PayloadFiles></Update>`,
      );
      updates += 1;
    }
  }
  await emit('</Updates><FileLocations>');
  for (let k = 0; k < payloads; k += 1) {
    const sha1 = payloadSha1(k);
    const product = PRODUCTS[k % PRODUCTS.length] as string;
    await emit(
      `<FileLocation Id="${sha1.toString('base64')}" Url="http://download.windowsupdate.com/c/msdownload/update/software/secu/20${10 + (k % 16)}/0${1 + (k % 9)}/${product}-kb${4_000_000 + (k % 1_000_000)}-x64_${sha1.toString('hex')}.cab"/>`,
    );
  }
  await emit('</FileLocations></OfflineSyncPackage>');
  await flush();
  out.end();
  await once(out, 'finish');
  return { bytes, updates, bundles, fileLocations: payloads };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [file, size] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: node --import tsx bench/gen-package-xml.ts <out.xml> [bytes]');
    process.exit(2);
  }
  const stats = await generatePackageXml(file, size === undefined ? DEFAULT_PACKAGE_XML_BYTES : Number(size));
  console.log(JSON.stringify(stats));
}
