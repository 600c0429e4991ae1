import type { ManifestInput } from './manifest.ts';

/**
 * UTF-8 byte order mark and CRLF line ends: older Windows Notepad, common on air-gapped machines,
 * shows Chinese text as mojibake without the BOM and one long line without CR.
 */
const BOM = '\uFEFF';
const CRLF = '\r\n';

/**
 * The disc's README.txt: how to verify the disc (patchdisc verify, openssl + sha256sum, the browser
 * page of the enrollment kit), in Chinese and English. `fingerprint` is the pinned certificate's
 * SHA-256 as formatFingerprint() prints it.
 */
export function renderDiscReadme(manifest: ManifestInput, fingerprint: string): string {
  const disc = `${manifest.disc}/${manifest.discs}`;
  const fp = fingerprint.split('\n').map((l) => `    ${l}`);
  const lines = [
    `${manifest.vendor} — ${manifest.week} — ${manifest.subscriberId} — ${disc}`,
    '',
    '==== 中文 ====',
    '',
    `订户：${manifest.subscriberId}    周：${manifest.week}    序号：${manifest.sequence}    光盘：${disc}`,
    `有效期至：${manifest.expires}`,
    manifest.quietWeek ? '本周没有新的更新；这张光盘按时寄出，证明没有更新的光盘被扣留。' : `本光盘有 ${manifest.files.length} 个更新文件，详见 index.html。`,
    '',
    '使用前请验证光盘。只信任注册套件（enrollment kit）中的证书，它的 SHA-256 指纹应为：',
    ...fp,
    '光盘上 keys/ 目录中的证书仅供参考，不能用来建立信任。',
    '',
    '方法一：patchdisc 命令',
    '    patchdisc verify <光盘目录或 ISO 文件>   （使用注册时保存的证书和订户代码）',
    '',
    '方法二：Linux 自带工具（在光盘根目录执行）',
    '    openssl x509 -inform DER -in <套件中的证书>.cer -pubkey -noout > vendor.pub.pem',
    '    openssl dgst -sha256 -verify vendor.pub.pem -signature SHA256SUMS.sig SHA256SUMS',
    '    sha256sum --check --strict --quiet SHA256SUMS',
    '  然后确认光盘上的文件与 SHA256SUMS 列出的完全一致（不多不少），',
    '  并核对 SHA256SUMS 开头的 subscriberId、sequence（必须大于上次接受的序号）和 expires。',
    '  注册套件中的 verify-disc.sh 会自动完成以上全部步骤。',
    '',
    '方法三：浏览器（任何操作系统，无需联网）',
    '  打开注册套件中的 verify.html，选择光盘根目录，页面会检查签名和每个文件的 SHA-256。',
    '',
    '任何一步失败，都不要安装光盘上的更新，并请联系供应商。',
    '',
    '==== English ====',
    '',
    `Subscriber: ${manifest.subscriberId}    Week: ${manifest.week}    Sequence: ${manifest.sequence}    Disc: ${disc}`,
    `Expires: ${manifest.expires}`,
    manifest.quietWeek
      ? 'Nothing new this week; this disc is sent on schedule to show that no newer disc is being withheld.'
      : `This disc holds ${manifest.files.length} update files; see index.html.`,
    '',
    'Verify the disc before use. Trust only the certificate from your enrollment kit; its SHA-256',
    'fingerprint must read:',
    ...fp,
    'The certificate in keys/ on this disc is for information only and establishes no trust.',
    '',
    '1. The patchdisc command',
    '    patchdisc verify <disc folder or ISO file>   (uses the certificate and subscriber code saved at enrollment)',
    '',
    '2. Stock Linux tools (run in the root folder of the disc)',
    '    openssl x509 -inform DER -in <kit certificate>.cer -pubkey -noout > vendor.pub.pem',
    '    openssl dgst -sha256 -verify vendor.pub.pem -signature SHA256SUMS.sig SHA256SUMS',
    '    sha256sum --check --strict --quiet SHA256SUMS',
    '  Then check that the files on the disc are exactly those SHA256SUMS lists (none missing, none',
    '  extra), and compare the subscriberId, sequence (must be above the last one you accepted) and',
    '  expires lines at the top of SHA256SUMS. verify-disc.sh from the enrollment kit does all of this.',
    '',
    '3. A web browser (any operating system, offline)',
    '  Open verify.html from the enrollment kit and pick the root folder of the disc; the page checks',
    '  the signature and the SHA-256 of every file.',
    '',
    'If any step fails, do not install the updates on this disc, and contact the vendor.',
    '',
  ];
  return BOM + lines.join(CRLF);
}
