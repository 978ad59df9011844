import type { BulkActionView } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { bulkActionKeys } from './query-keys';

/** How often a running bulk action's progress is read. */
export const BULK_POLL_MS = 1_000;

export const getBulkAction = (id: string, signal?: AbortSignal): Promise<BulkActionView> =>
  api.get<BulkActionView>(`/bulk-actions/${encodeURIComponent(id)}`, undefined, signal);

/** Polls every second while the action runs; stops once it is DONE or CANCELLED (or cannot be read). */
export const bulkActionQueryOptions = (id: string) =>
  queryOptions({
    queryKey: bulkActionKeys.detail(id),
    queryFn: ({ signal }) => getBulkAction(id, signal),
    refetchInterval: (query) => (query.state.status !== 'error' && query.state.data?.status === 'RUNNING' ? BULK_POLL_MS : false),
  });

export const useBulkAction = (id: string) => useQuery(bulkActionQueryOptions(id));
