import { KEY_ID_PREFIX_CHARS, KEYS_DIR, SIGNATURE_BYTES, SIGNING_KEY_BITS } from './disc-names.ts';
import { CERTIFICATE_MAX_BYTES, ROTATION_FORMAT, ROTATION_MAX_BYTES, ROTATION_NAME, ROTATION_NEW_SIG_NAME, ROTATION_OLD_SIG_NAME } from './rotation.ts';

const LIMITS = {
  name: ROTATION_NAME,
  oldSig: ROTATION_OLD_SIG_NAME,
  newSig: ROTATION_NEW_SIG_NAME,
  format: ROTATION_FORMAT,
  maxBytes: ROTATION_MAX_BYTES,
  certMaxBytes: CERTIFICATE_MAX_BYTES,
  sigBytes: SIGNATURE_BYTES,
  keyBits: SIGNING_KEY_BITS,
  prefix: KEY_ID_PREFIX_CHARS,
  keysDir: KEYS_DIR,
};

/**
 * Key rotation for the kit's verify.html, as JavaScript source, with the same rules as rotation.ts
 * verifyDiscRotation and verify-state.ts (subscriberKey, recordAcceptedDisc). Needs `createSha256`
 * (browser-sha256.ts) and WebCrypto. Defines:
 * - `certificateSpki(der)`: the SubjectPublicKeyInfo element of a DER X.509 certificate (RFC 5280
 *   §4.1: Certificate → tbsCertificate → [0] version?, serialNumber, signature, issuer, validity,
 *   subject, subjectPublicKeyInfo), read by a strict DER walker (X.690 §8.1: definite, minimal lengths);
 * - `importCertificateKey(der)`: its RSA-3072 key for RSASSA-PKCS1-v1_5 SHA-256 verification;
 * - `parseRotationStatement(bytes)`: the statement, only in its canonical layout (buildRotationStatement);
 * - `checkRotation(files, pinned)`: files is a Map of disc path → Blob, pinned `{ key, keyId }`;
 *   resolves `{ ok: true, keyId, key, certificate }` or `{ ok: false, problem }`;
 * - `rememberedKey(saved, enrolledKeyId)`: the key a rotation pinned (`{ keyId, certificate }`), or
 *   null for the enrolled key; throws when the stored key is damaged or belongs to another enrollment;
 * - `keyStateAfter(saved, rotation)`: the key fields to store after accepting a disc.
 */
export const BROWSER_ROTATION_JS = String.raw`
var ROTATION = ${JSON.stringify(LIMITS)};
function keyPrefix(id) { return String(id).slice(0, ROTATION.prefix); }
function isSha256Hex(s) { return typeof s === 'string' && /^[0-9a-f]{64}$/.test(s); }
function bytesSha256(bytes) { var h = createSha256(); h.update(bytes); return h.hex(); }
function toBase64(bytes) {
  var bin = '';
  for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}
function base64Bytes(s) {
  var bin = atob(s), out = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// One DER element (X.690 §8.1) starting at pos and ending by end: single-byte tag, definite length in
// the fewest bytes. Returns the tag, where the element starts, where its contents start, and its end.
function derElement(der, pos, end) {
  if (pos + 2 > end) throw new Error('certificate truncated at byte ' + pos);
  var tag = der[pos], first = der[pos + 1], length = first, header = 2;
  if ((tag & 0x1f) === 0x1f) throw new Error('multi-byte DER tag at byte ' + pos);
  if (first & 0x80) {
    var count = first & 0x7f;
    if (count === 0 || count > 3 || pos + 2 + count > end) throw new Error('bad DER length at byte ' + pos);
    length = 0;
    for (var i = 0; i < count; i++) length = length * 256 + der[pos + 2 + i];
    if (der[pos + 2] === 0 || length < 0x80) throw new Error('non-minimal DER length at byte ' + pos);
    header = 2 + count;
  }
  if (pos + header + length > end) throw new Error('DER element at byte ' + pos + ' runs past its container');
  return { tag: tag, start: pos, body: pos + header, end: pos + header + length };
}
function certificateSpki(der) {
  var SEQUENCE = 0x30, INTEGER = 0x02, BIT_STRING = 0x03, VERSION = 0xa0;
  function expect(el, tag, what) {
    if (el.tag !== tag) throw new Error('certificate: ' + what + ' has tag 0x' + el.tag.toString(16));
    return el;
  }
  var cert = expect(derElement(der, 0, der.length), SEQUENCE, 'Certificate');
  if (cert.end !== der.length) throw new Error('certificate: bytes after the Certificate');
  var tbs = expect(derElement(der, cert.body, cert.end), SEQUENCE, 'tbsCertificate');
  var sigAlg = expect(derElement(der, tbs.end, cert.end), SEQUENCE, 'signatureAlgorithm');
  if (expect(derElement(der, sigAlg.end, cert.end), BIT_STRING, 'signatureValue').end !== cert.end) {
    throw new Error('certificate: elements after signatureValue');
  }
  var el = derElement(der, tbs.body, tbs.end);
  if (el.tag === VERSION) el = derElement(der, el.end, tbs.end);
  expect(el, INTEGER, 'serialNumber');
  ['signature', 'issuer', 'validity', 'subject'].forEach(function (what) {
    el = expect(derElement(der, el.end, tbs.end), SEQUENCE, what);
  });
  var spki = expect(derElement(der, el.end, tbs.end), SEQUENCE, 'subjectPublicKeyInfo');
  return der.slice(spki.start, spki.end);
}
async function importCertificateKey(der) {
  var key = await crypto.subtle.importKey('spki', certificateSpki(der), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
  if (key.algorithm.modulusLength !== ROTATION.keyBits) throw new Error('not an RSA-' + ROTATION.keyBits + ' key');
  return key;
}

function parseRotationStatement(bytes) {
  var text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  var json = JSON.parse(text);
  var fields = ['format', 'oldKeySha256', 'newKeySha256', 'newCertificate', 'effective'];
  if (json === null || typeof json !== 'object' || Array.isArray(json) || Object.keys(json).join(',') !== fields.join(',')) {
    throw new Error('fields are not ' + fields.join(', '));
  }
  if (json.format !== ROTATION.format) throw new Error('format is not ' + ROTATION.format);
  if (!isSha256Hex(json.oldKeySha256) || !isSha256Hex(json.newKeySha256)) throw new Error('key ids are not lowercase hex SHA-256');
  if (typeof json.newCertificate !== 'string' || !/^keys\/[^/]{16}\.cer$/.test(json.newCertificate)) throw new Error('newCertificate is not keys/<key id>.cer');
  if (typeof json.effective !== 'string' || !/^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\.\d{3}Z$/.test(json.effective)) throw new Error('effective is not a UTC time');
  if (JSON.stringify(json, null, 2) + '\n' !== text) throw new Error('not in the canonical layout');
  return json;
}

async function checkRotation(files, pinned) {
  function fail(problem) { return { ok: false, problem: problem }; }
  var wanted = [[ROTATION.name, function (n) { return n <= ROTATION.maxBytes; }],
    [ROTATION.oldSig, function (n) { return n === ROTATION.sigBytes; }],
    [ROTATION.newSig, function (n) { return n === ROTATION.sigBytes; }]];
  for (var i = 0; i < wanted.length; i++) {
    var f = files.get(wanted[i][0]);
    if (f === undefined) return fail('key rotation statement incomplete: ' + wanted[i][0] + ' is missing');
    if (!wanted[i][1](f.size)) return fail('key rotation statement unusable: ' + wanted[i][0] + ' is ' + f.size + ' bytes');
  }
  async function read(name) {
    var f = files.get(name), data = new Uint8Array(await f.arrayBuffer());
    if (data.length !== f.size) throw new Error(name + ' changed size while being read');
    return data;
  }
  function verify(key, sig, data) { return crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, data); }
  var statementBytes = await read(ROTATION.name), oldSig = await read(ROTATION.oldSig), newSig = await read(ROTATION.newSig);
  var pinned16 = keyPrefix(pinned.keyId);
  if (!(await verify(pinned.key, oldSig, statementBytes))) return fail(ROTATION.name + ' is not signed by the pinned key ' + pinned16 + ': signed by an unknown key');
  var statement;
  try {
    statement = parseRotationStatement(statementBytes);
  } catch (e) {
    return fail('cannot read ' + ROTATION.name + ': ' + e.message);
  }
  if (statement.oldKeySha256 !== pinned.keyId) return fail(ROTATION.name + ' rotates from key ' + keyPrefix(statement.oldKeySha256) + ', not from the pinned key ' + pinned16);
  var certPath = ROTATION.keysDir + '/' + keyPrefix(statement.newKeySha256) + '.cer';
  if (statement.newKeySha256 === pinned.keyId || statement.newCertificate !== certPath) {
    return fail(ROTATION.name + ' names new certificate ' + statement.newCertificate + ', expected ' + certPath + ' of another key');
  }
  var certFile = files.get(certPath);
  if (certFile === undefined || certFile.size > ROTATION.certMaxBytes) return fail('new certificate ' + certPath + ' is ' + (certFile === undefined ? 'missing' : certFile.size + ' bytes'));
  var certificate = await read(certPath);
  if (bytesSha256(certificate) !== statement.newKeySha256) return fail('new certificate ' + certPath + ' does not hash to newKeySha256 ' + keyPrefix(statement.newKeySha256));
  var key;
  try {
    key = await importCertificateKey(certificate);
  } catch (e) {
    return fail('new certificate ' + certPath + ': ' + e.message);
  }
  if (!(await verify(key, newSig, statementBytes))) return fail(ROTATION.name + ' is not signed by the new key ' + keyPrefix(statement.newKeySha256));
  return { ok: true, keyId: statement.newKeySha256, key: key, certificate: certificate };
}

function rememberedKey(saved, enrolledKeyId) {
  if (saved === null || typeof saved !== 'object' || (saved.keySha256 === undefined && saved.keyCertificate === undefined)) return null;
  var retired = saved.retiredKeys === undefined ? [] : saved.retiredKeys;
  if (!isSha256Hex(saved.keySha256) || typeof saved.keyCertificate !== 'string' || !Array.isArray(retired) || !retired.every(isSha256Hex)) {
    throw new Error('the key stored in this browser by a key rotation is damaged; re-enroll');
  }
  if (saved.keySha256 === enrolledKeyId) return null;
  if (retired.indexOf(enrolledKeyId) < 0) {
    throw new Error('this browser pins key ' + keyPrefix(saved.keySha256) + ' (accepted through a key rotation), not this kit\'s key ' + keyPrefix(enrolledKeyId) +
      '; after a re-enrollment clear this page\'s stored data');
  }
  var certificate;
  try { certificate = base64Bytes(saved.keyCertificate); } catch (e) { certificate = new Uint8Array(0); }
  if (bytesSha256(certificate) !== saved.keySha256) throw new Error('the key stored in this browser by a key rotation is damaged; re-enroll');
  return { keyId: saved.keySha256, certificate: certificate };
}

function keyStateAfter(saved, rotation) {
  var out = {}, old = saved !== null && typeof saved === 'object' ? saved : {};
  if (rotation) {
    var retired = Array.isArray(old.retiredKeys) ? old.retiredKeys.slice() : [];
    if (retired.indexOf(rotation.from) < 0) retired.push(rotation.from);
    out.keySha256 = rotation.keyId;
    out.keyCertificate = toBase64(rotation.certificate);
    out.retiredKeys = retired.filter(function (k) { return k !== rotation.keyId; });
    return out;
  }
  if (typeof old.keySha256 === 'string' && typeof old.keyCertificate === 'string') {
    out.keySha256 = old.keySha256;
    out.keyCertificate = old.keyCertificate;
  }
  if (Array.isArray(old.retiredKeys)) out.retiredKeys = old.retiredKeys;
  return out;
}
`;
