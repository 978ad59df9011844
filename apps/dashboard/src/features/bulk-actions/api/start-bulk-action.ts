/** POST /api/bulk-actions { action, filter, reason } → 202 { id }; its progress is then read by id. */
import type { BulkActionRequest } from '@nest-saga/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { bulkActionKeys } from './query-keys';

export type StartBulkActionInput = Omit<BulkActionRequest, 'dryRun'>;

export const startBulkAction = (request: StartBulkActionInput): Promise<{ id: string }> =>
  api.post<{ id: string }>('/bulk-actions', { ...request, dryRun: false } satisfies BulkActionRequest);

export const useStartBulkAction = () => {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: startBulkAction, onSuccess: () => queryClient.invalidateQueries({ queryKey: bulkActionKeys.lists() }) });
};
