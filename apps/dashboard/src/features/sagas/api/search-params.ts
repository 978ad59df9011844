/**
 * The sagas list's state lives in the URL (`/sagas?status=FAILED&status=PAUSED&name=order&stuck=true
 * &q=...&limit=...&cursor=...`), so a link reproduces the view. Parsing is forgiving: unknown statuses
 * and odd limits are dropped rather than sent to the API.
 */
import { SAGA_STATUSES, type SagaStatus } from '@nest-saga/contracts';

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;

export interface SagaListFilters {
  status: SagaStatus[];
  name: string | null;
  stuck: boolean;
  q: string | null;
}

export interface SagaListQuery extends SagaListFilters {
  limit: number;
  cursor: string | null;
}

export const EMPTY_FILTERS: SagaListFilters = { status: [], name: null, stuck: false, q: null };

export function parseSagaListSearch(params: URLSearchParams): SagaListQuery {
  const wanted = new Set(params.getAll('status').flatMap((value) => value.split(',')).map((value) => value.trim().toUpperCase()));
  const status = SAGA_STATUSES.filter((s) => wanted.has(s));
  const limit = Number(params.get('limit'));
  return {
    status,
    name: params.get('name')?.trim() || null,
    stuck: params.get('stuck') === 'true',
    q: params.get('q')?.trim() || null,
    limit: (PAGE_SIZES as readonly number[]).includes(limit) ? limit : DEFAULT_PAGE_SIZE,
    cursor: params.get('cursor') || null,
  };
}

export function toSagaListSearch(query: Partial<SagaListQuery>): URLSearchParams {
  const params = new URLSearchParams();
  for (const status of SAGA_STATUSES) if (query.status?.includes(status)) params.append('status', status);
  if (query.name) params.set('name', query.name);
  if (query.stuck) params.set('stuck', 'true');
  if (query.q) params.set('q', query.q);
  if (query.limit && query.limit !== DEFAULT_PAGE_SIZE) params.set('limit', String(query.limit));
  if (query.cursor) params.set('cursor', query.cursor);
  return params;
}

/** A link into the list, for the overview's counts and the definitions page. */
export function sagaListHref(filters: Partial<SagaListFilters> = {}): string {
  const search = toSagaListSearch(filters).toString();
  return search ? `/sagas?${search}` : '/sagas';
}

export function hasFilters(filters: SagaListFilters): boolean {
  return filters.status.length > 0 || Boolean(filters.name) || filters.stuck || Boolean(filters.q);
}
