/** POST /api/bulk-actions/:id/cancel → 202 with the action's view; 409 BULK_ACTION_NOT_RUNNING once it ended. */
import type { BulkActionView } from '@nest-saga/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { bulkActionKeys } from './query-keys';

export const cancelBulkAction = (id: string): Promise<BulkActionView> => api.post<BulkActionView>(`/bulk-actions/${encodeURIComponent(id)}/cancel`);

export const useCancelBulkAction = () => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelBulkAction,
    onSuccess: (view) => queryClient.setQueryData(bulkActionKeys.detail(view.id), view),
    // Refused (it ended meanwhile): show what it is now.
    onError: (_error, id) => queryClient.invalidateQueries({ queryKey: bulkActionKeys.detail(id) }),
  });
};
