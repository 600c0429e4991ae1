import { PatchdiscError } from '../errors.ts';
import { ROTATION_NAME } from './rotation.ts';

/** File names inside the enrollment kit that the script refers to. */
export const KIT_CERT_NAME = 'vendor.cer';
export const KIT_STATE_NAME = 'state.txt';

/** What the kit's script and page say for a disc signed by a new key (they do not check rotations). */
export const ROTATION_REFUSAL =
  'signed by a new key; run patchdisc verify, which checks the key rotation, or use an enrollment kit for the new key / 光盘由新密钥签名：请用 patchdisc verify 检查密钥轮换，或使用新密钥的注册套件';

/** Initial content of the kit's state file: the subscriber and the sequence baseline. */
export function renderKitState(subscriberCode: string, sequenceBaseline: number): string {
  return `subscriberId=${subscriberCode}\nlastSequence=${sequenceBaseline}\nlastManifestSha256=\n`;
}

/**
 * verify-disc.sh for the enrollment kit: POSIX sh with openssl, sha256sum, find and sort, plus the
 * basic utilities date, mkdir, mv and rm. It checks the pinned certificate's SHA-256, both
 * signatures, subscriber / sequence / expires from the SHA256SUMS header against the state file,
 * the exact file set, then every SHA-256 (`sha256sum --check --strict`); on success it records the
 * sequence in the state file (temp file + mv).
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
# lastManifestSha256 and is updated after a disc is accepted.
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
while IFS='=' read -r key value; do
  case $key in
    subscriberId) STATE_SUBSCRIBER=$value ;;
    lastSequence) STATE_SEQUENCE=$value ;;
    lastManifestSha256) STATE_MANIFEST=$value ;;
  esac
done < "$STATE"
[ -n "$STATE_SUBSCRIBER" ] || fail "state file has no subscriberId / 状态文件缺少订户代码"
case $STATE_SEQUENCE in '' | *[!0-9]*) fail "state file has no valid lastSequence / 状态文件序号无效" ;; esac

# 1. The pinned certificate: its SHA-256 is the fingerprint checked at enrollment.
CERT_SUM=$(sha256sum < "$CERT") || fail "cannot read $CERT"
[ "\${CERT_SUM%% *}" = "$PINNED_SHA256" ] || fail "${KIT_CERT_NAME} does not match the pinned fingerprint / 证书指纹不符"

WORK="\${TMPDIR:-/tmp}/patchdisc-verify.$$"
mkdir -m 700 "$WORK" || fail "cannot create $WORK"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM
openssl x509 -inform DER -in "$CERT" -pubkey -noout > "$WORK/pub.pem" || fail "openssl cannot read ${KIT_CERT_NAME}"

cd "$DISC" || fail "cannot enter $DISC"
for f in SHA256SUMS SHA256SUMS.sig MANIFEST.json MANIFEST.json.sig; do
  [ -f "$f" ] || fail "$f is missing / 缺少 $f"
done

# 2. Both signatures with the pinned key. A disc signed by a new key after a planned key rotation
# carries ${ROTATION_NAME}; this script does not check rotations, patchdisc verify does.
if ! openssl dgst -sha256 -verify "$WORK/pub.pem" -signature SHA256SUMS.sig SHA256SUMS > /dev/null 2>&1; then
  [ -f ${ROTATION_NAME} ] &&
    fail "${ROTATION_REFUSAL}"
  fail "SHA256SUMS is not signed by the pinned key / SHA256SUMS 签名无效"
fi
openssl dgst -sha256 -verify "$WORK/pub.pem" -signature MANIFEST.json.sig MANIFEST.json > /dev/null 2>&1 ||
  fail "MANIFEST.json is not signed by the pinned key / MANIFEST.json 签名无效"
say "signatures OK / 签名有效"

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

# 6. Record the accepted disc.
printf 'subscriberId=%s\\nlastSequence=%s\\nlastManifestSha256=%s\\n' "$STATE_SUBSCRIBER" "$H_SEQ" "$MANIFEST_SUM" > "$STATE.tmp.$$" &&
  mv "$STATE.tmp.$$" "$STATE" || fail "cannot update $STATE"
say "OK / 验证通过: disc $H_DISC of $H_SUB, sequence $H_SEQ"
`;
}
