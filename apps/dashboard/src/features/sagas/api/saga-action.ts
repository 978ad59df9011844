/** POST /api/sagas/:id/{cancel,compensate,retry,pause,resume} → 202 with the saga's detail. */
import type { ActionRequest, SagaAction, SagaDetail } from '@nest-saga/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { afterSagaChanged } from './invalidate';

export interface SagaActionInput {
  id: string;
  action: SagaAction;
  reason?: string;
}

export const runSagaAction = ({ id, action, reason }: SagaActionInput): Promise<SagaDetail> =>
  api.post<SagaDetail>(`/sagas/${encodeURIComponent(id)}/${action}`, reason ? ({ reason } satisfies ActionRequest) : {});

export const useSagaAction = () => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: runSagaAction,
    onSuccess: (detail, { id }) => afterSagaChanged(queryClient, id, detail),
    // A refusal (409) means our copy is out of date: fetch the saga's real status.
    onError: (_error, { id }) => afterSagaChanged(queryClient, id),
  });
};
