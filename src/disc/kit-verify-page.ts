import { BROWSER_ROTATION_JS } from './browser-rotation.ts';
import { BROWSER_SHA256_JS } from './browser-sha256.ts';
import { escapeHtml } from './index-html.ts';
import { ROTATION_NAME, ROTATION_NEW_SIG_NAME, ROTATION_OLD_SIG_NAME } from './rotation.ts';

/** Bytes read per slice while hashing in the browser: bounded memory for 4 GB update files. */
const SLICE_BYTES = 4 * 1024 * 1024;

/** JSON safe to place inside a <script> element (no "</script>", no "<!--"). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * verify.html for the enrollment kit: a single offline page with the pinned key inside. The user picks
 * the disc's root folder; the page checks both signatures with WebCrypto (RSASSA-PKCS1-v1_5 SHA-256),
 * MANIFEST.json against SHA256SUMS, subscriber, expiry, sequence (baseline or the last disc accepted
 * in this browser), the exact file set, sizes, and every SHA-256 in slices. zh-CN and en.
 *
 * Key rotation follows rotation.ts and verify-state.ts (browser-rotation.ts): a disc signed by a new
 * key is accepted through keys/ROTATION.json signed by the pinned and the new key; the browser then
 * remembers the new key (localStorage, beside the sequence) and refuses discs of the retired one.
 */
export function renderVerifyPage(options: {
  spkiDer: Uint8Array;
  keyId: string;
  fingerprint: string;
  subscriberCode: string;
  sequenceBaseline: number;
}): string {
  const pinned = {
    spki: Buffer.from(options.spkiDer).toString('base64'),
    keyId: options.keyId,
    subscriber: options.subscriberCode,
    baseline: options.sequenceBaseline,
    sliceBytes: SLICE_BYTES,
  };
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>patchdisc 光盘验证 / Disc verifier — ${escapeHtml(options.subscriberCode)}</title>
<style>
body{font-family:sans-serif;margin:1.5em;line-height:1.4}
pre{background:#f4f4f4;padding:.5em;display:inline-block}
.ok{color:#060}.bad{color:#b00;font-weight:bold}
#result{font-size:1.3em;margin:1em 0}
</style>
</head>
<body>
<h1>patchdisc 光盘验证 / Disc verifier</h1>
<p>订户 / Subscriber: <b>${escapeHtml(options.subscriberCode)}</b></p>
<p>证书 SHA-256 指纹（注册时已核对）/ Certificate SHA-256 fingerprint (checked at enrollment):<br>
<pre id="fingerprint">${escapeHtml(options.fingerprint)}</pre></p>
<p><label>选择光盘根目录 / Choose the root folder of the disc:
<input type="file" id="folder" webkitdirectory directory multiple></label></p>
<p id="progress"></p>
<p id="result"></p>
<ul id="checks"></ul>
<script>
"use strict";
var PINNED = ${scriptJson(pinned)};
${BROWSER_SHA256_JS}
${BROWSER_ROTATION_JS}
var METADATA_MAX = 64 * 1024 * 1024;
var SIG_BYTES = 384;

function el(id) { return document.getElementById(id); }
function addCheck(ok, zh, en) {
  var li = document.createElement('li');
  li.className = ok ? 'ok' : 'bad';
  li.textContent = (ok ? '✔ ' : '✘ ') + zh + ' / ' + en;
  el('checks').appendChild(li);
  return ok;
}
function fromBase64(s) {
  var bin = atob(s), out = new Uint8Array(bin.length);
  for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function isMetadataPath(p) {
  return p === 'MANIFEST.json' || p === 'MANIFEST.json.sig' || p === 'index.html' || p === 'README.txt' ||
    p === '${ROTATION_NAME}' || p === '${ROTATION_OLD_SIG_NAME}' || p === '${ROTATION_NEW_SIG_NAME}' ||
    /^keys\\/[^/]+\\.cer$/.test(p);
}
function parseSums(bytes) {
  var text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  if (text.slice(-1) !== '\\n' || text.indexOf('\\r') >= 0) throw new Error('bad line ends');
  var header = {}, entries = [], seen = {};
  text.slice(0, -1).split('\\n').forEach(function (line) {
    var h = /^# ([A-Za-z][A-Za-z0-9]*): (.*)$/.exec(line);
    if (h) { if (entries.length) throw new Error('header after entries'); header[h[1]] = h[2]; return; }
    var e = /^([0-9a-f]{64})  (.+)$/.exec(line);
    if (!e || Object.prototype.hasOwnProperty.call(seen, e[2])) throw new Error('bad line: ' + line);
    seen[e[2]] = true;
    entries.push({ path: e[2], sha256: e[1] });
  });
  return { header: header, entries: entries };
}
async function hashFile(file, onBytes) {
  var h = createSha256();
  for (var off = 0; off < file.size; off += PINNED.sliceBytes) {
    var part = new Uint8Array(await file.slice(off, Math.min(off + PINNED.sliceBytes, file.size)).arrayBuffer());
    h.update(part);
    onBytes(part.length);
  }
  return h.hex();
}
function loadSaved() {
  try {
    return JSON.parse(localStorage.getItem('patchdisc.' + PINNED.subscriber) || 'null');
  } catch (e) { return null; /* no storage in this browser: the baseline and the kit's key apply */ }
}
function lastAccepted(saved) {
  var last = { sequence: PINNED.baseline, manifest: '' };
  if (saved && typeof saved.sequence === 'number' && saved.sequence > last.sequence) last = saved;
  return last;
}

async function verify(fileList) {
  el('checks').textContent = '';
  el('result').textContent = '';
  var files = new Map();
  Array.prototype.forEach.call(fileList, function (f) {
    var rel = f.webkitRelativePath || f.name;
    var cut = rel.indexOf('/');
    files.set(cut >= 0 ? rel.slice(cut + 1) : rel, f);
  });
  var ok = true;
  function need(cond, zh, en) { if (!addCheck(cond, zh, en)) ok = false; return cond; }
  function done() {
    el('result').className = ok ? 'ok' : 'bad';
    el('result').textContent = ok ? '✔ 验证通过 / Disc verified' : '✘ 验证失败，请勿安装 / Verification FAILED — do not install';
    return ok;
  }

  var meta = { 'MANIFEST.json': METADATA_MAX, 'SHA256SUMS': METADATA_MAX, 'MANIFEST.json.sig': -1, 'SHA256SUMS.sig': -1 };
  var metaOk = Object.keys(meta).every(function (name) {
    var f = files.get(name);
    return f !== undefined && (meta[name] < 0 ? f.size === SIG_BYTES : f.size <= meta[name]);
  });
  if (!need(metaOk, '签名元数据齐全', 'signed metadata present')) return done();

  async function bytes(name) { return new Uint8Array(await files.get(name).arrayBuffer()); }
  // The pinned key: the kit's, or the one a key rotation accepted in this browser replaced it with.
  var saved = loadSaved(), signer, remembered;
  try {
    remembered = rememberedKey(saved, PINNED.keyId);
  } catch (e) {
    need(false, '本浏览器保存的密钥不可用', e.message);
    return done();
  }
  signer = remembered === null
    ? { keyId: PINNED.keyId, role: 'pinned key', key: await crypto.subtle.importKey('spki', fromBase64(PINNED.spki), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']) }
    : { keyId: remembered.keyId, role: 'pinned key', key: await importCertificateKey(remembered.certificate) };
  var manifestBytes = await bytes('MANIFEST.json');
  var sumsBytes = await bytes('SHA256SUMS');
  var manifestSig = await bytes('MANIFEST.json.sig'), sumsSig = await bytes('SHA256SUMS.sig');
  async function signedBy(key) {
    return (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, manifestSig, manifestBytes)) &&
      (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sumsSig, sumsBytes));
  }
  var rotated = null;
  if (!(await signedBy(signer.key)) && files.has('${ROTATION_NAME}')) {
    var rotation = await checkRotation(files, signer);
    if (!need(rotation.ok, '密钥轮换被拒绝', 'key rotation refused: ' + rotation.problem)) return done();
    need(true, '密钥轮换声明由原密钥 ' + keyPrefix(signer.keyId) + ' 和新密钥 ' + keyPrefix(rotation.keyId) + ' 签名',
      'key rotation statement signed by the pinned key ' + keyPrefix(signer.keyId) + ' and the new key ' + keyPrefix(rotation.keyId));
    rotated = { from: signer.keyId, keyId: rotation.keyId, certificate: rotation.certificate };
    signer = { keyId: rotation.keyId, role: 'new key', key: rotation.key };
  }
  var mOk = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', signer.key, manifestSig, manifestBytes);
  var sOk = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', signer.key, sumsSig, sumsBytes);
  var by = ' (' + signer.role + ' ' + keyPrefix(signer.keyId) + ')';
  need(mOk, 'MANIFEST.json 签名有效', 'MANIFEST.json signature valid' + by);
  need(sOk, 'SHA256SUMS 签名有效', 'SHA256SUMS signature valid' + by);
  if (!mOk || !sOk) return done();

  var manifest, sums;
  try {
    manifest = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
    sums = parseSums(sumsBytes);
  } catch (e) {
    need(false, '元数据格式错误', 'metadata malformed: ' + e.message);
    return done();
  }
  if (!need(manifest.format === 'patchdisc-manifest/1' && Array.isArray(manifest.files), '清单格式正确', 'manifest format known')) return done();
  need(manifest.signingKeySha256 === signer.keyId, '清单指明的签名密钥正确', 'manifest names the ' + signer.role + ' ' + keyPrefix(signer.keyId));

  var h = sums.header;
  var agree = h.subscriberId === manifest.subscriberId && h.sequence === String(manifest.sequence) &&
    h.expires === manifest.expires && h.disc === manifest.disc + '/' + manifest.discs && h.week === manifest.week;
  var sumsMap = new Map(sums.entries.map(function (e) { return [e.path, e.sha256]; }));
  var inManifest = new Set();
  manifest.files.forEach(function (f) { inManifest.add(f.path); if (sumsMap.get(f.path) !== f.sha256) agree = false; });
  sums.entries.forEach(function (e) { if (!inManifest.has(e.path) && !isMetadataPath(e.path)) agree = false; });
  need(agree, 'MANIFEST.json 与 SHA256SUMS 一致', 'MANIFEST.json and SHA256SUMS agree');

  need(manifest.subscriberId === PINNED.subscriber, '光盘属于订户 ' + PINNED.subscriber, 'meant for ' + PINNED.subscriber + ' (disc says ' + manifest.subscriberId + ')');
  need(Date.now() < Date.parse(manifest.expires), '未过期（' + manifest.expires + '）', 'not expired (' + manifest.expires + ')');
  var manifestSha = createSha256();
  manifestSha.update(manifestBytes);
  var manifestHex = manifestSha.hex();
  var last = lastAccepted(saved);
  var seqOk = manifest.sequence > last.sequence ||
    (manifest.sequence === last.sequence && (manifest.discs > 1 || manifestHex === last.manifest));
  need(seqOk, '序号 ' + manifest.sequence + ' 新于 ' + last.sequence, 'sequence ' + manifest.sequence + ' newer than ' + last.sequence);
  need(manifest.disc >= 1 && manifest.disc <= manifest.discs, '光盘 ' + manifest.disc + '/' + manifest.discs, 'disc ' + manifest.disc + ' of ' + manifest.discs);

  var expected = new Set(sums.entries.map(function (e) { return e.path; }).concat(['SHA256SUMS', 'SHA256SUMS.sig']));
  var missing = Array.from(expected).filter(function (p) { return !files.has(p); });
  var extra = Array.from(files.keys()).filter(function (p) { return !expected.has(p); });
  need(missing.length === 0 && extra.length === 0, '文件清单一致' + (missing.length ? '；缺少 ' + missing.join(', ') : '') + (extra.length ? '；多余 ' + extra.join(', ') : ''),
    'exact file set' + (missing.length ? '; missing ' + missing.join(', ') : '') + (extra.length ? '; extra ' + extra.join(', ') : ''));

  var sizes = new Map(manifest.files.map(function (f) { return [f.path, f.size]; }));
  var badSize = manifest.files.filter(function (f) { return files.has(f.path) && files.get(f.path).size !== f.size; }).map(function (f) { return f.path; });
  need(badSize.length === 0, '文件大小一致' + (badSize.length ? '：' + badSize.join(', ') : ''), 'sizes match' + (badSize.length ? ': ' + badSize.join(', ') : ''));

  var todo = sums.entries.filter(function (e) { return files.has(e.path) && (!sizes.has(e.path) || files.get(e.path).size === sizes.get(e.path)); });
  var totalBytes = todo.reduce(function (n, e) { return n + files.get(e.path).size; }, 0), doneBytes = 0;
  var badHash = [];
  for (var i = 0; i < todo.length; i++) {
    var hex = await hashFile(files.get(todo[i].path), function (n) {
      doneBytes += n;
      el('progress').textContent = '计算校验值 / Hashing: ' + Math.floor(doneBytes * 100 / Math.max(totalBytes, 1)) + '%';
    });
    if (hex !== todo[i].sha256) badHash.push(todo[i].path);
  }
  el('progress').textContent = '';
  need(badHash.length === 0, '所有文件 SHA-256 一致' + (badHash.length ? '；损坏或被篡改：' + badHash.join(', ') : ''),
    'every SHA-256 matches' + (badHash.length ? '; damaged or altered: ' + badHash.join(', ') : ''));

  if (ok) {
    var record = keyStateAfter(saved, rotated);
    record.sequence = manifest.sequence;
    record.manifest = manifestHex;
    try { localStorage.setItem('patchdisc.' + PINNED.subscriber, JSON.stringify(record)); } catch (e) { /* storage unavailable */ }
    if (rotated) {
      addCheck(true, '已接受密钥轮换：现已固定为新密钥 ' + keyPrefix(rotated.keyId) + '，旧密钥 ' + keyPrefix(rotated.from) + ' 已停用，今后拒绝其签名的光盘',
        'key rotation accepted: now pinned to ' + keyPrefix(rotated.keyId) + ', old key ' + keyPrefix(rotated.from) + ' retired; its discs are refused from now on');
    }
  }
  return done();
}

el('folder').addEventListener('change', function (ev) {
  verify(ev.target.files).catch(function (e) {
    addCheck(false, '验证出错', 'error: ' + e.message);
    el('result').className = 'bad';
    el('result').textContent = '✘ 验证失败 / Verification FAILED';
  });
});
</script>
</body>
</html>
`;
}
