import { KEY_ID_PREFIX_CHARS, KEYS_DIR, SIGNATURE_BYTES, SIGNING_KEY_BITS } from './disc-names.ts';
import { CERTIFICATE_MAX_BYTES, ROTATION_FORMAT, ROTATION_MAX_BYTES, ROTATION_NAME, ROTATION_NEW_SIG_NAME, ROTATION_OLD_SIG_NAME } from './rotation.ts';

/** `?` repeated: a sh pattern matching exactly `n` characters (POSIX sh has no substring expansion). */
const anyChars = (n: number): string => '?'.repeat(n);

/**
 * Shell functions of verify-disc.sh that check a key rotation statement exactly as rotation.ts
 * verifyDiscRotation does, with only openssl, sha256sum, find and cat. They use the script's `fail`,
 * `say`, `$WORK`, and the pinned key in `$KEY_ID` / `$PUB` (a PEM public key). On success
 * `accept_rotation` sets `ROTATED_FROM` to the pinned key id, `KEY_ID` and `PUB` to the new key, and
 * leaves the new certificate in `$WORK/new.cer`; on any failure it ends the script.
 *
 * The statement is parsed only after the pinned key's signature verified, and only in its canonical
 * layout (rotation.ts buildRotationStatement): the values are read line by line, the canonical bytes
 * are rendered again with printf and must hash the same, so nothing else is ever accepted.
 */
export const KIT_ROTATION_SH = `
# Whether $1 is a regular file (not a link) whose size matches find's -size $2 (e.g. -4097c, 384c).
sized_file() {
  [ "$(find "$1" -prune -type f -size "$2" -print 2>/dev/null)" = "$1" ]
}
is_sha256() {
  case $1 in *[!0-9a-f]*) return 1 ;; esac
  [ \${#1} -eq 64 ]
}
# Prints the first ${KEY_ID_PREFIX_CHARS} characters of $1.
key_prefix() {
  kp_rest=\${1#${anyChars(KEY_ID_PREFIX_CHARS)}}
  printf '%s' "\${1%"$kp_rest"}"
}
rotation_fail() { fail "key rotation refused / 密钥轮换被拒绝: $*"; }

accept_rotation() {
  PINNED16=$(key_prefix "$KEY_ID")
  sized_file ${ROTATION_NAME} -${ROTATION_MAX_BYTES + 1}c || rotation_fail "${ROTATION_NAME} is not a file of at most ${ROTATION_MAX_BYTES} bytes"
  sized_file ${ROTATION_OLD_SIG_NAME} ${SIGNATURE_BYTES}c || rotation_fail "key rotation statement incomplete: ${ROTATION_OLD_SIG_NAME} is missing or not ${SIGNATURE_BYTES} bytes"
  sized_file ${ROTATION_NEW_SIG_NAME} ${SIGNATURE_BYTES}c || rotation_fail "key rotation statement incomplete: ${ROTATION_NEW_SIG_NAME} is missing or not ${SIGNATURE_BYTES} bytes"
  # Work on copies, so that what is verified is what is parsed.
  cat ${ROTATION_NAME} > "$WORK/rotation.json" && cat ${ROTATION_OLD_SIG_NAME} > "$WORK/rotation.old.sig" &&
    cat ${ROTATION_NEW_SIG_NAME} > "$WORK/rotation.new.sig" || rotation_fail "cannot read ${ROTATION_NAME}"
  openssl dgst -sha256 -verify "$PUB" -signature "$WORK/rotation.old.sig" "$WORK/rotation.json" > /dev/null 2>&1 ||
    rotation_fail "${ROTATION_NAME} is not signed by the pinned key $PINNED16: signed by an unknown key"

  R_FORMAT='' R_OLD='' R_NEW='' R_CERT='' R_EFFECTIVE='' R_LINES=0
  while IFS= read -r line; do
    R_LINES=$((R_LINES + 1))
    case $R_LINES:$line in
      1:'{' | 7:'}') ;;
      2:'  "format": "'*'",') R_FORMAT=\${line#'  "format": "'}; R_FORMAT=\${R_FORMAT%'",'} ;;
      3:'  "oldKeySha256": "'*'",') R_OLD=\${line#'  "oldKeySha256": "'}; R_OLD=\${R_OLD%'",'} ;;
      4:'  "newKeySha256": "'*'",') R_NEW=\${line#'  "newKeySha256": "'}; R_NEW=\${R_NEW%'",'} ;;
      5:'  "newCertificate": "'*'",') R_CERT=\${line#'  "newCertificate": "'}; R_CERT=\${R_CERT%'",'} ;;
      6:'  "effective": "'*'"') R_EFFECTIVE=\${line#'  "effective": "'}; R_EFFECTIVE=\${R_EFFECTIVE%'"'} ;;
      *) rotation_fail "cannot read ${ROTATION_NAME}: line $R_LINES is not in the canonical layout" ;;
    esac
  done < "$WORK/rotation.json"
  [ "$R_LINES" -eq 7 ] || rotation_fail "cannot read ${ROTATION_NAME}: not in the canonical layout ($R_LINES complete lines)"
  [ "$R_FORMAT" = '${ROTATION_FORMAT}' ] || rotation_fail "cannot read ${ROTATION_NAME}: format is not ${ROTATION_FORMAT}"
  is_sha256 "$R_OLD" && is_sha256 "$R_NEW" || rotation_fail "cannot read ${ROTATION_NAME}: key ids are not lowercase hex SHA-256"
  case $R_CERT in ${KEYS_DIR}/${anyChars(KEY_ID_PREFIX_CHARS)}.cer) ;; *) rotation_fail "cannot read ${ROTATION_NAME}: newCertificate is not ${KEYS_DIR}/<key id>.cer" ;; esac
  case $R_EFFECTIVE in
    [0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9].[0-9][0-9][0-9]Z) ;;
    *) rotation_fail "cannot read ${ROTATION_NAME}: effective is not a UTC time" ;;
  esac
  printf '{\\n  "format": "%s",\\n  "oldKeySha256": "%s",\\n  "newKeySha256": "%s",\\n  "newCertificate": "%s",\\n  "effective": "%s"\\n}\\n' \\
    "$R_FORMAT" "$R_OLD" "$R_NEW" "$R_CERT" "$R_EFFECTIVE" > "$WORK/rotation.canonical"
  [ "$(sha256sum < "$WORK/rotation.json")" = "$(sha256sum < "$WORK/rotation.canonical")" ] ||
    rotation_fail "cannot read ${ROTATION_NAME}: not in the canonical layout"

  NEW16=$(key_prefix "$R_NEW")
  [ "$R_OLD" = "$KEY_ID" ] || rotation_fail "${ROTATION_NAME} rotates from key $(key_prefix "$R_OLD"), not from the pinned key $PINNED16"
  if [ "$R_NEW" = "$KEY_ID" ] || [ "$R_CERT" != "${KEYS_DIR}/$NEW16.cer" ]; then
    rotation_fail "${ROTATION_NAME} names new certificate $R_CERT, expected ${KEYS_DIR}/$NEW16.cer of another key"
  fi
  sized_file "$R_CERT" -${CERTIFICATE_MAX_BYTES + 1}c || rotation_fail "new certificate $R_CERT is missing or larger than ${CERTIFICATE_MAX_BYTES} bytes"
  cat "$R_CERT" > "$WORK/new.cer" || rotation_fail "cannot read $R_CERT"
  NEW_SUM=$(sha256sum < "$WORK/new.cer") || rotation_fail "cannot read $R_CERT"
  [ "\${NEW_SUM%% *}" = "$R_NEW" ] || rotation_fail "new certificate $R_CERT does not hash to newKeySha256 $NEW16"
  openssl x509 -inform DER -in "$WORK/new.cer" -pubkey -noout > "$WORK/new.pem" 2>/dev/null ||
    rotation_fail "new certificate $R_CERT: not a DER X.509 certificate"
  NEW_TEXT=$(openssl rsa -pubin -in "$WORK/new.pem" -noout -text 2>/dev/null) || rotation_fail "new certificate $R_CERT does not hold an RSA key"
  case \${NEW_TEXT%%"$NL"*} in
    *'Public-Key: (${SIGNING_KEY_BITS} bit)') ;;
    *) rotation_fail "new certificate $R_CERT does not hold an RSA-${SIGNING_KEY_BITS} key" ;;
  esac
  openssl dgst -sha256 -verify "$WORK/new.pem" -signature "$WORK/rotation.new.sig" "$WORK/rotation.json" > /dev/null 2>&1 ||
    rotation_fail "${ROTATION_NAME} is not signed by the new key $NEW16"
  say "key rotation statement signed by the pinned key $PINNED16 and the new key $NEW16 / 密钥轮换声明已由原密钥和新密钥签名"
  ROTATED_FROM=$KEY_ID
  KEY_ID=$R_NEW
  PUB="$WORK/new.pem"
}
`;
