import { ARCH_TITLE, type Arch, type ClassificationKey, type ProductInfo, type ProductKey } from './catalog-categories.ts';
import type { UpdateKind } from './catalog-model.ts';
import type { MonthLabel } from './catalog-timeline.ts';

/* Titles and file names in Microsoft's spelling, e.g. "2026-11 Cumulative Update for Windows 10
 * Version 22H2 for x64-based Systems (KB…)" and windows10.0-kb…-x64_<sha1>.msu. */

export interface PlannedUpdate {
  kind: UpdateKind;
  productKey: ProductKey | 'all';
  product?: ProductInfo;
  arch: Arch;
  classification: ClassificationKey;
}

export function makeTitles(p: PlannedUpdate, month: MonthLabel, kb: string): Record<string, string> {
  const name = p.product?.titleName ?? 'Windows';
  const arch = ARCH_TITLE[p.arch];
  switch (p.kind) {
    case 'cu':
      return { en: `${month.titlePrefix} Cumulative Update for ${name} for ${arch} (KB${kb})` };
    case 'ssu':
      return { en: `${month.titlePrefix} Servicing Stack Update for ${name} for ${arch} (KB${kb})` };
    case 'dotnet':
      return { en: `${month.titlePrefix} Cumulative Update for .NET Framework 3.5 and 4.8.1 for ${name} for ${p.arch} (KB${kb})` };
    case 'msrt':
      return { en: `Windows Malicious Software Removal Tool x64 - v5.${140 + month.index} (KB${kb})` };
    case 'langpack':
      return {
        en: `${month.titlePrefix} Security Update for .NET Framework 4.8.1 Language Packs for ${name} for ${p.arch} (KB${kb})`,
        'zh-cn': `${month.titlePrefix} 适用于 ${name} (${p.arch}) 的 .NET Framework 4.8.1 语言包安全更新 (KB${kb})`,
      };
  }
}

export function makeFileName(p: PlannedUpdate, kb: string, month: MonthLabel, sha1Hex: string, language: string | undefined): string {
  const prefix = p.product?.filePrefix ?? 'windows';
  switch (p.kind) {
    case 'cu':
    case 'ssu':
      return `${prefix}-kb${kb}-${p.arch}_${sha1Hex}.msu`;
    case 'dotnet':
      return `${prefix}-kb${kb}-${p.arch}-ndp481_${sha1Hex}.msu`;
    case 'msrt':
      return `windows-kb${kb}-${p.arch}-v5.${140 + month.index}_${sha1Hex}.exe`;
    case 'langpack':
      return `${prefix}-kb${kb}-${p.arch}-ndp481-${language ?? 'neutral'}_${sha1Hex}.msu`;
  }
}

