/** POST /api/sagas/:id/steps/:step/resolve body { reason } → 202 with the saga's detail. */
import type { SagaDetail } from '@nest-saga/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { afterSagaChanged } from './invalidate';

export interface ResolveStepInput {
  id: string;
  step: string;
  reason: string;
}

export const resolveStep = ({ id, step, reason }: ResolveStepInput): Promise<SagaDetail> =>
  api.post<SagaDetail>(`/sagas/${encodeURIComponent(id)}/steps/${encodeURIComponent(step)}/resolve`, { reason });

export const useResolveStep = () => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: resolveStep,
    onSuccess: (detail, { id }) => afterSagaChanged(queryClient, id, detail),
    onError: (_error, { id }) => afterSagaChanged(queryClient, id),
  });
};
