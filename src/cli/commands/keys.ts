import { createInterface } from 'node:readline/promises';
import { join, relative, resolve } from 'node:path';
import { resolveFrom } from '../../config/load-config.ts';
import { formatFingerprint, generateSigningKey, loadCertificate, loadSigningKey } from '../../disc/keys.ts';
import { buildRotationFiles } from '../../disc/rotation.ts';
import { rotationDirFor, saveRotationFiles } from '../../disc/rotation-store.ts';
import { PatchdiscError } from '../../errors.ts';
import { activeSigningKey, listSigningKeys, recordSigningKey } from '../../ledger/signing-keys.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace } from '../workspace.ts';

export interface KeysGenerateOptions extends GlobalOptions {
  name?: string;
  days?: number;
  dir?: string;
}

export type KeysRotateOptions = KeysGenerateOptions;

/**
 * The passphrase from the first of `envNames` that is set, else asked on a terminal (twice, and at
 * least 12 characters, when `confirm`: a new key).
 */
async function passphraseFor(io: CliIo, confirm: boolean, envNames = ['PATCHDISC_KEY_PASSPHRASE'], prompt = 'passphrase for the new signing key'): Promise<string> {
  for (const name of envNames) {
    const fromEnv = io.env[name];
    if (fromEnv) return fromEnv;
  }
  const action = confirm ? 'protect the key' : 'unlock the key';
  if (!process.stdin.isTTY) {
    throw new PatchdiscError('USAGE', `Cannot ${action}: set ${envNames.join(' or ')} (no terminal to ask on)`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const a = await rl.question(`${prompt}: `);
    if (confirm && (await rl.question('again: ')) !== a) throw new PatchdiscError('USAGE', `Cannot ${action}: the passphrases differ`);
    if (confirm && a.length < 12) throw new PatchdiscError('USAGE', `Cannot ${action}: use a passphrase of at least 12 characters`);
    return a;
  } finally {
    rl.close();
  }
}

function checkGenerateOptions(opts: KeysGenerateOptions, action: string): string {
  if (!opts.name) throw new PatchdiscError('USAGE', `Cannot ${action}: --name "<vendor> signing key 2026" is required`);
  if (opts.days !== undefined && (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 36500)) {
    throw new PatchdiscError('USAGE', `Cannot ${action}: --days must be a whole number from 1 to 36500`);
  }
  return opts.name;
}

/** --dir, else <data>/keys; never inside <data>/out, which is burned to discs. */
function keyDirFor(opts: KeysGenerateOptions, io: CliIo, dataDir: string): string {
  const keyDir = opts.dir ? resolve(io.cwd, opts.dir) : join(dataDir, 'keys');
  const out = join(dataDir, 'out');
  if (!relative(out, keyDir).startsWith('..')) {
    throw new PatchdiscError('USAGE', `Cannot generate a key in ${keyDir}: it is inside the output folder ${out}, which is burned to discs`);
  }
  return keyDir;
}

/** `patchdisc keys generate --name "…" [--days N]`: a new RSA-3072 signing key, made active. */
export async function keysGenerateCommand(opts: KeysGenerateOptions, io: CliIo): Promise<number> {
  const name = checkGenerateOptions(opts, 'generate a key');
  const ws = await openWorkspace(opts, io);
  try {
    const keyDir = keyDirFor(opts, io, ws.dataDir);
    const passphrase = await passphraseFor(io, true);
    const now = new Date();
    const key = await generateSigningKey({ name, ...(opts.days ? { days: opts.days } : {}), passphrase, keyDir, now });
    const cert = await loadCertificate(key.certPath);
    await recordSigningKey(ws.ledger, { keyId: key.keyId, name, certPath: key.certPath, keyPath: key.keyPath, createdAt: now, notAfter: cert.notAfter, activate: true });
    if (ws.reporter.json) ws.reporter.result({ keyId: key.keyId, keyPath: key.keyPath, certificate: key.certPath, notAfter: cert.notAfter.toISOString() });
    else {
      ws.reporter.line(`signing key ${opts.name} (active)`);
      ws.reporter.line(`  private key  ${key.keyPath} (mode 0600, passphrase-protected)`);
      ws.reporter.line(`  certificate  ${key.certPath}`);
      ws.reporter.line(`  fingerprint  ${formatFingerprint(key.keyId).replace(/\n/g, '\n               ')}`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}

/**
 * `patchdisc keys rotate --name "…" [--days N]`: a planned key rotation. Unlocks the active key
 * (PATCHDISC_KEY_PASSPHRASE), makes a new one (PATCHDISC_NEW_KEY_PASSPHRASE, else the same), signs the
 * rotation statement with both and keeps it beside the new certificate, then makes the new key active.
 * Every disc the new key signs carries the statement (pipeline/rotation-for.ts); subscribers pinned
 * to the old key accept the new one only through it. Not for a compromised key: re-enroll on paper.
 */
export async function keysRotateCommand(opts: KeysRotateOptions, io: CliIo): Promise<number> {
  const name = checkGenerateOptions(opts, 'rotate the key');
  const ws = await openWorkspace(opts, io);
  try {
    if (ws.config.signing.key !== undefined || ws.config.signing.certificate !== undefined) {
      throw new PatchdiscError('USAGE', `Cannot rotate the key: ${ws.configPath} names signing.key / signing.certificate, which builds would keep using; remove them so that builds sign with the ledger's active key, then rerun`);
    }
    const old = await activeSigningKey(ws.ledger);
    if (!old) throw new PatchdiscError('NOT_FOUND', 'Cannot rotate the key: no active signing key; run patchdisc keys generate --name "…" first');
    const keyDir = keyDirFor(opts, io, ws.dataDir);
    const oldPassphrase = await passphraseFor(io, false, ['PATCHDISC_KEY_PASSPHRASE'], `passphrase of the current key ${old.name}`);
    const oldKey = await loadSigningKey({ keyPath: resolveFrom(ws.dataDir, old.keyPath), certPath: resolveFrom(ws.dataDir, old.certPath), passphrase: oldPassphrase });
    const newPassphrase = await passphraseFor(io, true, ['PATCHDISC_NEW_KEY_PASSPHRASE', 'PATCHDISC_KEY_PASSPHRASE']);
    const now = new Date();
    const generated = await generateSigningKey({ name, ...(opts.days ? { days: opts.days } : {}), passphrase: newPassphrase, keyDir, now });
    const newKey = await loadSigningKey({ keyPath: generated.keyPath, certPath: generated.certPath, passphrase: newPassphrase });
    const rotationDir = rotationDirFor(generated.certPath);
    // Saved before the new key becomes active: a failure here leaves the old key signing.
    await saveRotationFiles(rotationDir, buildRotationFiles({ oldKey, newKey, effective: now }), oldKey.certificateDer);
    const cert = await loadCertificate(generated.certPath);
    await recordSigningKey(ws.ledger, { keyId: newKey.keyId, name, certPath: generated.certPath, keyPath: generated.keyPath, createdAt: now, notAfter: cert.notAfter, activate: true });
    if (ws.reporter.json) {
      ws.reporter.result({ oldKeyId: oldKey.keyId, keyId: newKey.keyId, keyPath: generated.keyPath, certificate: generated.certPath, rotation: rotationDir, notAfter: cert.notAfter.toISOString() });
    } else {
      const indent = (hex: string): string => formatFingerprint(hex).replace(/\n/g, '\n                   ');
      ws.reporter.line(`signing key rotated: ${old.name} → ${name} (active)`);
      ws.reporter.line(`  old fingerprint  ${indent(oldKey.keyId)}`);
      ws.reporter.line(`  new fingerprint  ${indent(newKey.keyId)}`);
      ws.reporter.line(`  private key      ${generated.keyPath} (mode 0600, passphrase-protected)`);
      ws.reporter.line(`  certificate      ${generated.certPath}`);
      ws.reporter.line(`  rotation         ${rotationDir} (signed by both keys; every disc of the new key carries it)`);
      if (io.env['PATCHDISC_NEW_KEY_PASSPHRASE'] && io.env['PATCHDISC_NEW_KEY_PASSPHRASE'] !== oldPassphrase) {
        ws.reporter.line('  builds now need the new passphrase in PATCHDISC_KEY_PASSPHRASE');
      }
    }
    return 0;
  } finally {
    await ws.close();
  }
}

/** `patchdisc keys show`: the active key's id and its fingerprint grouped for reading over the phone. */
export async function keysShowCommand(opts: GlobalOptions, io: CliIo): Promise<number> {
  const ws = await openWorkspace(opts, io);
  try {
    const all = await listSigningKeys(ws.ledger);
    const configured = ws.config.signing.certificate ? await loadCertificate(resolve(ws.dataDir, ws.config.signing.certificate)) : undefined;
    const active = configured ? undefined : await activeSigningKey(ws.ledger);
    const cert = configured ?? (active ? await loadCertificate(active.certPath) : undefined);
    if (!cert) throw new PatchdiscError('NOT_FOUND', 'Cannot show the key: no signing key yet; run patchdisc keys generate --name "…"');
    if (ws.reporter.json) {
      ws.reporter.result({ keyId: cert.keyId, subject: cert.subject, notAfter: cert.notAfter.toISOString(), keys: all });
    } else {
      ws.reporter.line(`active key ${cert.subject}, valid until ${cert.notAfter.toISOString().slice(0, 10)}`);
      ws.reporter.line(`key id (SHA-256 of the certificate):`);
      for (const l of formatFingerprint(cert.keyId).split('\n')) ws.reporter.line(`  ${l}`);
      if (all.length > 1) ws.reporter.line(`${all.length} keys on record (see --json)`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}
