import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { PatchdiscError } from '../errors.ts';
import { loadCertificate } from './keys.ts';
import { KIT_CERT_NAME, KIT_STATE_NAME, renderKitState, renderVerifyScript } from './kit-verify-script.ts';
import { renderVerifyPage } from './kit-verify-page.ts';

export interface EnrollmentKitFile {
  /** Path inside the kit folder */
  path: string;
  data: Buffer;
  /** Unix mode recorded in the zip */
  mode: number;
}

const CRLF = '\r\n';
const BOM = '\uFEFF';
const MODE_FILE = 0o644;
const MODE_SCRIPT = 0o755;
/** Fixed entry time, so that the same inputs give the same zip bytes. */
const ZIP_ENTRY_DATE = new Date('2000-01-01T00:00:00Z');

function text(lines: string[]): Buffer {
  return Buffer.from(BOM + lines.join(CRLF) + CRLF, 'utf8');
}

/**
 * The files of an enrollment kit (pure apart from reading the certificate): the pinned certificate,
 * FINGERPRINT.txt, SUBSCRIBER.txt, README.txt (zh-CN / en), the state file, verify-disc.sh and
 * verify.html. `sequenceBaseline` is the last sequence considered received: discs must be newer.
 */
export async function enrollmentKitFiles(options: {
  certificatePath: string;
  subscriberCode: string;
  sequenceBaseline: number;
}): Promise<EnrollmentKitFile[]> {
  const { subscriberCode, sequenceBaseline } = options;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(subscriberCode)) {
    throw new PatchdiscError('USAGE', `Cannot build enrollment kit: "${subscriberCode}" is not a subscriber code (letters, digits, . _ -)`);
  }
  if (!Number.isSafeInteger(sequenceBaseline) || sequenceBaseline < 0) {
    throw new PatchdiscError('USAGE', `Cannot build enrollment kit for ${subscriberCode}: sequence baseline ${sequenceBaseline} is not a whole number ≥ 0`);
  }
  const cert = await loadCertificate(options.certificatePath);
  const colonFingerprint = (cert.keyId.toUpperCase().match(/../g) ?? []).join(':');
  const fingerprintLines = cert.fingerprint.split('\n');
  const file = (path: string, data: Buffer | string, mode = MODE_FILE): EnrollmentKitFile => ({
    path,
    data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
    mode,
  });
  return [
    file(KIT_CERT_NAME, cert.der),
    file('FINGERPRINT.txt', text([
      'patchdisc 签名证书 SHA-256 指纹 / signing certificate SHA-256 fingerprint',
      '',
      ...fingerprintLines,
      '',
      `openssl: ${colonFingerprint}`,
      `${cert.subject}; valid until / 有效期至 ${cert.notAfter.toISOString()}`,
      '',
      '请通过电话或纸面与供应商逐组核对。/ Read it back to the vendor by phone or compare it on paper.',
      `sha256sum ${KIT_CERT_NAME}  或/or  openssl x509 -inform DER -in ${KIT_CERT_NAME} -noout -fingerprint -sha256`,
    ])),
    file('SUBSCRIBER.txt', text([
      `订户代码 / subscriber code: ${subscriberCode}`,
      `序号基线 / sequence baseline: ${sequenceBaseline}`,
      '',
      `只接受序号大于 ${sequenceBaseline} 的光盘。/ Only discs with a sequence above ${sequenceBaseline} are accepted.`,
    ])),
    file('README.txt', text([
      'patchdisc 注册套件 / enrollment kit',
      '',
      `1. 先核对 FINGERPRINT.txt 中的指纹（电话或纸面）。只有指纹一致，才信任 ${KIT_CERT_NAME}。`,
      '2. 验证每张光盘：',
      '   - patchdisc verify（使用本套件的证书和订户代码）；',
      `   - Linux：sh verify-disc.sh <光盘目录>（只用 openssl、sha256sum、find、sort；序号记录在 ${KIT_STATE_NAME}）；`,
      '   - 浏览器：打开 verify.html，选择光盘根目录（无需联网）。',
      '3. 任何一项失败都不要安装，并联系供应商。光盘上自带的证书和页面只供参考。',
      '4. 供应商按计划更换签名密钥后，新光盘带有 keys/ROTATION.json（由旧密钥和新密钥共同签名）。三种工具都只通过它接受新密钥，',
      '   之后只认新密钥，拒绝旧密钥签名的光盘。',
      '',
      `1. First check the fingerprint in FINGERPRINT.txt (by phone or on paper). Trust ${KIT_CERT_NAME} only if it matches.`,
      '2. Verify every disc with one of:',
      '   - patchdisc verify (with this kit\'s certificate and subscriber code);',
      `   - Linux: sh verify-disc.sh <disc folder> (openssl, sha256sum, find, sort only; the sequence is kept in ${KIT_STATE_NAME});`,
      '   - a web browser: open verify.html and pick the root folder of the disc (offline).',
      '3. If anything fails, do not install, and contact the vendor. Certificates and pages on the disc are for information only.',
      '4. After a planned key change, new discs carry keys/ROTATION.json, signed by the old and the new key. All three tools accept',
      '   the new key only through it, then accept only the new key and refuse discs signed by the old one.',
    ])),
    file(KIT_STATE_NAME, renderKitState(subscriberCode, sequenceBaseline)),
    file('verify-disc.sh', renderVerifyScript({ certificateSha256: cert.keyId }), MODE_SCRIPT),
    file('verify.html', renderVerifyPage({
      spkiDer: cert.publicKey.export({ type: 'spki', format: 'der' }),
      keyId: cert.keyId,
      fingerprint: cert.fingerprint,
      subscriberCode,
      sequenceBaseline,
    })),
  ];
}

/**
 * Writes the enrollment kit as a zip with one folder `patchdisc-kit-<code>/`. The zip is written to a
 * temp name beside `outZip` and renamed into place when complete.
 */
export async function buildEnrollmentKit(options: {
  certificatePath: string;
  subscriberCode: string;
  sequenceBaseline: number;
  outZip: string;
}): Promise<{ outZip: string; folder: string; files: string[] }> {
  const files = await enrollmentKitFiles(options);
  const folder = `patchdisc-kit-${options.subscriberCode}`;
  const tmp = join(dirname(options.outZip), `.${basename(options.outZip)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dirname(options.outZip), { recursive: true });
    const archive = new ZipArchive({ zlib: { level: 9 } });
    const written = pipeline(archive, createWriteStream(tmp, { flags: 'wx' }));
    for (const f of files) {
      archive.append(f.data, { name: `${folder}/${f.path}`, mode: f.mode, date: ZIP_ENTRY_DATE });
    }
    await archive.finalize();
    await written;
    await rename(tmp, options.outZip);
  } catch (err) {
    await rm(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'DISK_FULL' : 'USAGE';
    throw new PatchdiscError(code, `Cannot write enrollment kit ${options.outZip}: ${(err as Error).message}`, { cause: err });
  }
  return { outZip: options.outZip, folder, files: files.map((f) => `${folder}/${f.path}`) };
}
