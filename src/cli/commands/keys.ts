import { createInterface } from 'node:readline/promises';
import { join, relative, resolve } from 'node:path';
import { formatFingerprint, generateSigningKey, loadCertificate } from '../../disc/keys.ts';
import { PatchdiscError } from '../../errors.ts';
import { activeSigningKey, listSigningKeys, recordSigningKey } from '../../ledger/signing-keys.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace } from '../workspace.ts';

export interface KeysGenerateOptions extends GlobalOptions {
  name?: string;
  days?: number;
  dir?: string;
}

/** The passphrase from PATCHDISC_KEY_PASSPHRASE, else asked twice on a terminal. */
async function passphraseFor(io: CliIo, confirm: boolean): Promise<string> {
  const fromEnv = io.env['PATCHDISC_KEY_PASSPHRASE'];
  if (fromEnv) return fromEnv;
  if (!process.stdin.isTTY) {
    throw new PatchdiscError('USAGE', 'Cannot protect the key: set PATCHDISC_KEY_PASSPHRASE (no terminal to ask on)');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    const a = await rl.question('passphrase for the new signing key: ');
    if (confirm && (await rl.question('again: ')) !== a) throw new PatchdiscError('USAGE', 'Cannot protect the key: the passphrases differ');
    if (a.length < 12) throw new PatchdiscError('USAGE', 'Cannot protect the key: use a passphrase of at least 12 characters');
    return a;
  } finally {
    rl.close();
  }
}

/** `patchdisc keys generate --name "…" [--days N]`: a new RSA-3072 signing key, made active. */
export async function keysGenerateCommand(opts: KeysGenerateOptions, io: CliIo): Promise<number> {
  if (!opts.name) throw new PatchdiscError('USAGE', 'Cannot generate a key: --name "<vendor> signing key 2026" is required');
  if (opts.days !== undefined && (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 36500)) {
    throw new PatchdiscError('USAGE', 'Cannot generate a key: --days must be a whole number from 1 to 36500');
  }
  const ws = await openWorkspace(opts, io);
  try {
    const keyDir = opts.dir ? resolve(io.cwd, opts.dir) : join(ws.dataDir, 'keys');
    const out = join(ws.dataDir, 'out');
    if (!relative(out, keyDir).startsWith('..')) {
      throw new PatchdiscError('USAGE', `Cannot generate a key in ${keyDir}: it is inside the output folder ${out}, which is burned to discs`);
    }
    const passphrase = await passphraseFor(io, true);
    const now = new Date();
    const key = await generateSigningKey({ name: opts.name, ...(opts.days ? { days: opts.days } : {}), passphrase, keyDir, now });
    const cert = await loadCertificate(key.certPath);
    await recordSigningKey(ws.ledger, { keyId: key.keyId, name: opts.name, certPath: key.certPath, keyPath: key.keyPath, createdAt: now, notAfter: cert.notAfter, activate: true });
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
