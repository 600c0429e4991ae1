/**
 * Reading the shipment log's filter and page from the query string. Empty fields are no filter;
 * every value goes to the ledger as a bound parameter and is validated there (checkShipmentFilter).
 */
import { PatchdiscError } from '../errors.ts';
import { SHIPMENT_STATUSES, type ShipmentFilter } from '../ledger/shipments.ts';
import type { ShipmentStatus } from '../ledger/schema.ts';

export const FILTER_KEYS = ['month', 'week', 'subscriber', 'status'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export interface ShipmentQuery {
  filter: Omit<ShipmentFilter, 'limit' | 'offset'>;
  /** 1-based page number. */
  page: number;
  /** The non-empty filter fields, as typed: for the form, paging links and the CSV link. */
  values: Partial<Record<FilterKey, string>>;
}

const MAX_PAGE = 1_000_000;

/** Parses the query; throws VALIDATION for a status that does not exist. */
export function parseShipmentQuery(query: Readonly<Record<string, string | undefined>>): ShipmentQuery {
  const values: Partial<Record<FilterKey, string>> = {};
  for (const key of FILTER_KEYS) {
    const v = query[key]?.trim();
    if (v !== undefined && v !== '') values[key] = v;
  }
  const filter: ShipmentQuery['filter'] = {};
  if (values.month !== undefined) filter.month = values.month;
  if (values.week !== undefined) filter.week = values.week;
  if (values.subscriber !== undefined) filter.subscriber = values.subscriber;
  if (values.status !== undefined) {
    const status = SHIPMENT_STATUSES.find((s) => s === values.status);
    if (status === undefined) {
      throw new PatchdiscError('VALIDATION', `Cannot list shipments: status "${values.status}" is not one of ${SHIPMENT_STATUSES.join(', ')}`, {
        details: { status: values.status },
      });
    }
    filter.status = status as ShipmentStatus;
  }
  const rawPage = query['page'] ?? '';
  const page = /^\d{1,7}$/.test(rawPage) ? Math.min(MAX_PAGE, Math.max(1, Number(rawPage))) : 1;
  return { filter, page, values };
}

/** `path?<filter>&page=<page>` (page omitted when 1). */
export function shipmentsHref(path: string, values: ShipmentQuery['values'], page = 1): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = values[key];
    if (v !== undefined) params.set(key, v);
  }
  if (page > 1) params.set('page', String(page));
  const q = params.toString();
  return q === '' ? path : `${path}?${q}`;
}
