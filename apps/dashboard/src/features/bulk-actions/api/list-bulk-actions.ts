import type { BulkActionView } from '@nest-saga/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { bulkActionKeys } from './query-keys';

/** How many of the latest bulk actions the list page offers. */
export const RECENT_BULK_ACTIONS = 10;

export const listBulkActions = (limit: number, signal?: AbortSignal): Promise<BulkActionView[]> =>
  api.get<BulkActionView[]>('/bulk-actions', { limit }, signal);

/** The latest bulk actions, newest first; read only while shown, every 5 s while one of them runs. */
export const useRecentBulkActions = (enabled: boolean) =>
  useQuery({
    queryKey: bulkActionKeys.list(RECENT_BULK_ACTIONS),
    queryFn: ({ signal }) => listBulkActions(RECENT_BULK_ACTIONS, signal),
    enabled,
    refetchInterval: (query) => (query.state.data?.some((b) => b.status === 'RUNNING') ? 5_000 : false),
  });
