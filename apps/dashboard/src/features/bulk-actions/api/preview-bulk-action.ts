/**
 * POST /api/bulk-actions { action, filter, reason, dryRun: true } → 200 with what the action would
 * touch now. Read as a query (it changes nothing), fetched again whenever the dialog opens.
 */
import type { BulkActionFilter, BulkActionPreview, BulkActionRequest, SagaAction } from '@nest-saga/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { bulkActionKeys } from './query-keys';

/** The API wants a reason on every request; a dry run records nothing, so any text does. */
const DRY_RUN_REASON = 'dry run from the dashboard';

export const previewBulkAction = (action: SagaAction, filter: BulkActionFilter): Promise<BulkActionPreview> =>
  api.post<BulkActionPreview>('/bulk-actions', { action, filter, reason: DRY_RUN_REASON, dryRun: true } satisfies BulkActionRequest);

export const useBulkPreview = (action: SagaAction, filter: BulkActionFilter) =>
  useQuery({
    queryKey: bulkActionKeys.preview(action, filter),
    queryFn: () => previewBulkAction(action, filter),
    // What matches changes all the time: never show an old dry run as the current one.
    staleTime: 0,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });

/**
 * How many sagas match a filter, whatever their status: a dry run counts every matching saga
 * (`matched` + `skipped`). Asked as a pause, which has no compensations to look up.
 */
export const useMatchingCount = (filter: BulkActionFilter, enabled: boolean) =>
  useQuery({
    queryKey: [...bulkActionKeys.previews(), 'count', filter] as const,
    queryFn: async () => {
      const preview = await previewBulkAction('pause', filter);
      return preview.matched + preview.skipped;
    },
    enabled,
    staleTime: 0,
    refetchOnWindowFocus: false,
  });
