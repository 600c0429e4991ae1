import { PatchdiscError } from '../errors.ts';
import { KIT_ROTATION_SH } from './kit-rotation-sh.ts';
import { ROTATION_NAME } from './rotation.ts';

/** File names inside the enrollment kit that the script refers to. */
export const KIT_CERT_NAME = 'vendor.cer';
export const KIT_STATE_NAME = 'state.txt';

/** Initial content of the kit's state file: the subscriber and the sequence baseline. */
export function renderKitState(subscriberCode: string, sequenceBaseline: number): string {
  return `subscriberId=${subscriberCode}\nlastSequence=${sequenceBaseline}\nlastManifestSha256=\n`;
}

/**
 * verify-disc.sh for the enrollment kit: POSIX sh with openssl, sha256sum, find and sort, plus the
 * basic utilities cat, date, mkdir, mv and rm. It checks the pinned certificate's SHA-256, both
 * signatures, subscriber / sequence / expires from the SHA256SUMS header against the state file,
 * the exact file set, then every SHA-256 (`sha256sum --check --strict`); on success it records the
 * sequence in the state file (temp file + mv).
 *
 * Key rotation follows rotation.ts and verify-state.ts: a disc whose signatures fail with the pinned
 * key but that carries keys/ROTATION.json is accepted through the statement (kit-rotation-sh.ts);
 * the state file then records the new key (`pinnedKeySha256`, `pinnedKeyCertificate` in base64) and
 * the retired ones (`retiredKeys`, space-separated), and discs signed by a retired key are refused.
 * State files without these lines pin the kit's certificate.
 */
export function renderVerifyScript(options: { certificateSha256: string }): string {
  if (!/^[0-9a-f]{64}$/.test(options.certificateSha256)) {
    throw new PatchdiscError('VALIDATION', `Cannot write verify-disc.sh: "${options.certificateSha256}" is not a lowercase hex SHA-256`);
  }
  return `#!/bin/sh
# patchdisc disc verifier (enrollment kit). Checks that a disc is genuine, complete, newer than the
# last one accepted and meant for this subscriber. Needs only openssl, sha256sum, find, sort and
# basic POSIX utilities.
#
#   sh verify-disc.sh DISC_FOLDER [STATE_FILE]
#
# STATE_FILE defaults to ${KIT_STATE_NAME} beside this script; it holds subscriberId, lastSequence and
# lastManifestSha256 (and, after a key rotation, pinnedKeySha256, pinnedKeyCertificate and retiredKeys)
# and is updated after a disc is accepted.
set -u

PINNED_SHA256='${options.certificateSha256}'
NL='
'

say() { printf '%s\\n' "$*"; }
fail() { printf 'FAILED / 验证失败: %s\\n' "$*" >&2; exit 1; }

case $0 in */*) KIT_DIR=\${0%/*} ;; *) KIT_DIR=. ;; esac
KIT_DIR=$(cd "$KIT_DIR" && pwd) || fail "cannot find the kit folder"
CERT="$KIT_DIR/${KIT_CERT_NAME}"
DISC=\${1:-}
STATE=\${2:-"$KIT_DIR/${KIT_STATE_NAME}"}
if [ -z "$DISC" ]; then
  say "usage / 用法: sh verify-disc.sh DISC_FOLDER [STATE_FILE]" >&2
  exit 2
fi
case $STATE in /*) ;; *) STATE="$PWD/$STATE" ;; esac
[ -d "$DISC" ] || fail "$DISC is not a folder / 不是目录"
[ -f "$STATE" ] || fail "state file $STATE is missing / 状态文件不存在"

STATE_SUBSCRIBER=''
STATE_SEQUENCE=''
STATE_MANIFEST=''
STATE_KEY=''
STATE_KEY_CERT=''
STATE_RETIRED=''
# Split at the first '=' by hand: read with IFS='=' would drop a trailing '=' (base64 padding).
while IFS= read -r line; do
  key=\${line%%=*}
  value=\${line#*=}
  case $key in
    subscriberId) STATE_SUBSCRIBER=$value ;;
    lastSequence) STATE_SEQUENCE=$value ;;
    lastManifestSha256) STATE_MANIFEST=$value ;;
    pinnedKeySha256) STATE_KEY=$value ;;
    pinnedKeyCertificate) STATE_KEY_CERT=$value ;;
    retiredKeys) STATE_RETIRED=$value ;;
  esac
done < "$STATE"
[ -n "$STATE_SUBSCRIBER" ] || fail "state file has no subscriberId / 状态文件缺少订户代码"
case $STATE_SEQUENCE in '' | *[!0-9]*) fail "state file has no valid lastSequence / 状态文件序号无效" ;; esac
${KIT_ROTATION_SH}
for k in $STATE_RETIRED; do is_sha256 "$k" || fail "state file has an invalid retiredKeys entry / 状态文件 retiredKeys 无效"; done
if [ -n "$STATE_KEY" ] || [ -n "$STATE_KEY_CERT" ]; then
  is_sha256 "$STATE_KEY" || fail "state file has no valid pinnedKeySha256 / 状态文件 pinnedKeySha256 无效"
  case $STATE_KEY_CERT in '' | *[!A-Za-z0-9+/=]*) fail "state file has no valid pinnedKeyCertificate / 状态文件 pinnedKeyCertificate 无效" ;; esac
fi

# 1. The pinned certificate: its SHA-256 is the fingerprint checked at enrollment.
CERT_SUM=$(sha256sum < "$CERT") || fail "cannot read $CERT"
[ "\${CERT_SUM%% *}" = "$PINNED_SHA256" ] || fail "${KIT_CERT_NAME} does not match the pinned fingerprint / 证书指纹不符"

WORK="\${TMPDIR:-/tmp}/patchdisc-verify.$$"
mkdir -m 700 "$WORK" || fail "cannot create $WORK"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM
openssl x509 -inform DER -in "$CERT" -pubkey -noout > "$WORK/pub.pem" || fail "openssl cannot read ${KIT_CERT_NAME}"
KEY_ID=$PINNED_SHA256
PUB="$WORK/pub.pem"
ROTATED_FROM=''
# The key accepted through a key rotation replaces the kit's certificate, which is then retired
# (verify-state.ts subscriberKey); a state file pinning a key this kit never rotated to is another kit's.
if [ -n "$STATE_KEY" ] && [ "$STATE_KEY" != "$PINNED_SHA256" ]; then
  case " $STATE_RETIRED " in
    *" $PINNED_SHA256 "*) ;;
    *) fail "state file pins key $(key_prefix "$STATE_KEY") (accepted through a key rotation), not this kit's key $(key_prefix "$PINNED_SHA256"); after a re-enrollment use the new kit's ${KIT_STATE_NAME} / 状态文件固定的密钥不是本套件的密钥" ;;
  esac
  printf '%s\\n' "$STATE_KEY_CERT" | openssl base64 -d -A > "$WORK/pinned.cer" 2>/dev/null || fail "state file pinnedKeyCertificate is damaged / 状态文件证书已损坏"
  PINNED_SUM=$(sha256sum < "$WORK/pinned.cer") || fail "cannot read $WORK/pinned.cer"
  [ "\${PINNED_SUM%% *}" = "$STATE_KEY" ] || fail "state file pinnedKeyCertificate does not hash to pinnedKeySha256; restore it from backup or re-enroll / 状态文件证书已损坏"
  openssl x509 -inform DER -in "$WORK/pinned.cer" -pubkey -noout > "$WORK/pinned.pem" 2>/dev/null || fail "state file pinnedKeyCertificate is damaged / 状态文件证书已损坏"
  KEY_ID=$STATE_KEY
  PUB="$WORK/pinned.pem"
fi

cd "$DISC" || fail "cannot enter $DISC"
for f in SHA256SUMS SHA256SUMS.sig MANIFEST.json MANIFEST.json.sig; do
  [ -f "$f" ] || fail "$f is missing / 缺少 $f"
done

# 2. Both signatures with the pinned key. A disc signed by a new key after a planned key rotation
# carries ${ROTATION_NAME}, signed by the pinned key and the new key: then the new key must sign both.
ROLE='pinned key'
verified() {
  openssl dgst -sha256 -verify "$PUB" -signature SHA256SUMS.sig SHA256SUMS > /dev/null 2>&1 &&
    openssl dgst -sha256 -verify "$PUB" -signature MANIFEST.json.sig MANIFEST.json > /dev/null 2>&1
}
if ! verified && [ -e ${ROTATION_NAME} ]; then
  accept_rotation
  ROLE='new key'
fi
KEY16=$(key_prefix "$KEY_ID")
openssl dgst -sha256 -verify "$PUB" -signature SHA256SUMS.sig SHA256SUMS > /dev/null 2>&1 ||
  fail "SHA256SUMS is not signed by the $ROLE $KEY16 (signed by an unknown or retired key, or altered) / SHA256SUMS 签名无效"
openssl dgst -sha256 -verify "$PUB" -signature MANIFEST.json.sig MANIFEST.json > /dev/null 2>&1 ||
  fail "MANIFEST.json is not signed by the $ROLE $KEY16 / MANIFEST.json 签名无效"
# The (now trusted) manifest must name the key that signed it: its one top-level signingKeySha256 line.
M_KEY='' M_KEYS=0
while IFS= read -r line; do
  case $line in
    '  "signingKeySha256": "'*) M_KEY=\${line#'  "signingKeySha256": "'}; M_KEY=\${M_KEY%,}; M_KEY=\${M_KEY%'"'}; M_KEYS=$((M_KEYS + 1)) ;;
  esac
done < MANIFEST.json
[ "$M_KEYS" -eq 1 ] && [ "$M_KEY" = "$KEY_ID" ] ||
  fail "MANIFEST.json names signing key $(key_prefix "$M_KEY"), the $ROLE is $KEY16 / 清单指明的签名密钥不符"
say "signatures OK ($ROLE $KEY16) / 签名有效"

# 3. The header of the (now trusted) SHA256SUMS against the state.
H_SUB='' H_SEQ='' H_EXP='' H_DISC='' H_WEEK=''
: > "$WORK/listed"
while IFS= read -r line; do
  case $line in
    '# subscriberId: '*) H_SUB=\${line#'# subscriberId: '} ;;
    '# sequence: '*) H_SEQ=\${line#'# sequence: '} ;;
    '# expires: '*) H_EXP=\${line#'# expires: '} ;;
    '# disc: '*) H_DISC=\${line#'# disc: '} ;;
    '# week: '*) H_WEEK=\${line#'# week: '} ;;
    '#'*) ;;
    *) printf '%s\\n' "\${line#*  }" >> "$WORK/listed" ;;
  esac
done < SHA256SUMS
say "disc / 光盘: subscriber $H_SUB, sequence $H_SEQ, disc $H_DISC, week $H_WEEK, expires $H_EXP"

[ "$H_SUB" = "$STATE_SUBSCRIBER" ] || fail "disc is meant for $H_SUB, not $STATE_SUBSCRIBER / 光盘不属于本订户"
case $H_SEQ in '' | *[!0-9]*) fail "sequence '$H_SEQ' is not a number" ;; esac
DISCS=\${H_DISC#*/}
case $DISCS in '' | *[!0-9]*) fail "disc '$H_DISC' is not k/n" ;; esac
MANIFEST_SUM=$(sha256sum < MANIFEST.json) || fail "cannot read MANIFEST.json"
MANIFEST_SUM=\${MANIFEST_SUM%% *}
if [ "$H_SEQ" -gt "$STATE_SEQUENCE" ]; then
  :
elif [ "$H_SEQ" -eq "$STATE_SEQUENCE" ] && { [ "$MANIFEST_SUM" = "$STATE_MANIFEST" ] || [ "$DISCS" -gt 1 ]; }; then
  : # the same disc again, or another disc of the set already accepted
else
  fail "sequence $H_SEQ is not newer than $STATE_SEQUENCE: an older disc / 序号不是最新，可能是旧光盘"
fi
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ) || fail "cannot read the clock"
FIRST=$(printf '%s\\n%s\\n' "$H_EXP" "$NOW" | LC_ALL=C sort)
FIRST=\${FIRST%%"$NL"*}
if [ "$FIRST" != "$NOW" ] || [ "$NOW" = "$H_EXP" ]; then
  fail "disc expired on $H_EXP (now $NOW) / 光盘已过期"
fi

# 4. Exactly the listed files: nothing missing, nothing extra, nothing but regular files.
OTHER=$(find . ! -type f ! -type d -print)
[ -z "$OTHER" ] || fail "not regular files / 非普通文件: $OTHER"
LC_ALL=C sort "$WORK/listed" > "$WORK/listed.sorted"
find . -type f -print | while IFS= read -r p; do
  p=\${p#./}
  case $p in SHA256SUMS | SHA256SUMS.sig) ;; *) printf '%s\\n' "$p" ;; esac
done | LC_ALL=C sort > "$WORK/present"
if [ "$(sha256sum < "$WORK/listed.sorted")" != "$(sha256sum < "$WORK/present")" ]; then
  LISTED_ALL=$(LC_ALL=C sort "$WORK/listed")
  PRESENT_ALL=$(LC_ALL=C sort "$WORK/present")
  while IFS= read -r p; do
    case "$NL$LISTED_ALL$NL" in *"$NL$p$NL"*) ;; *) say "extra / 多余: $p" >&2 ;; esac
  done < "$WORK/present"
  while IFS= read -r p; do
    case "$NL$PRESENT_ALL$NL" in *"$NL$p$NL"*) ;; *) say "missing / 缺少: $p" >&2 ;; esac
  done < "$WORK/listed.sorted"
  fail "the files on the disc differ from SHA256SUMS / 光盘文件与 SHA256SUMS 不一致"
fi
say "file set OK / 文件清单一致"

# 5. Every SHA-256 (header lines starting with # are skipped by sha256sum).
sha256sum --check --strict --quiet SHA256SUMS || fail "files are damaged or altered / 文件已损坏或被篡改"
say "hashes OK / 校验值一致"

# 6. Record the accepted disc. After a key rotation the new key is pinned and the key it replaced
# retired (verify-state.ts recordAcceptedDisc).
if [ -n "$ROTATED_FROM" ]; then
  STATE_KEY=$KEY_ID
  STATE_KEY_CERT=$(openssl base64 -A -in "$WORK/new.cer") || fail "cannot encode the new certificate"
  RETIRED=''
  for k in $STATE_RETIRED $ROTATED_FROM; do
    [ "$k" = "$KEY_ID" ] && continue
    case " $RETIRED " in *" $k "*) ;; *) RETIRED=\${RETIRED:+"$RETIRED "}$k ;; esac
  done
  STATE_RETIRED=$RETIRED
fi
{
  printf 'subscriberId=%s\\nlastSequence=%s\\nlastManifestSha256=%s\\n' "$STATE_SUBSCRIBER" "$H_SEQ" "$MANIFEST_SUM"
  [ -z "$STATE_KEY" ] || printf 'pinnedKeySha256=%s\\npinnedKeyCertificate=%s\\n' "$STATE_KEY" "$STATE_KEY_CERT"
  [ -z "$STATE_RETIRED" ] || printf 'retiredKeys=%s\\n' "$STATE_RETIRED"
} > "$STATE.tmp.$$" && mv "$STATE.tmp.$$" "$STATE" || fail "cannot update $STATE"
if [ -n "$ROTATED_FROM" ]; then
  say "key rotation accepted: now pinned to $KEY16, old key $(key_prefix "$ROTATED_FROM") retired; its discs are refused from now on / 已接受密钥轮换：现已固定为新密钥 $KEY16，旧密钥 $(key_prefix "$ROTATED_FROM") 已停用，今后拒绝其签名的光盘"
fi
say "OK / 验证通过: disc $H_DISC of $H_SUB, sequence $H_SEQ"
`;
}
