/** POST /api/sagas body { name, input, idempotencyKey? } → 201 with the saga's summary. */
import type { SagaSummary, StartSagaRequest } from '@nest-saga/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { overviewKeys } from '../../overview/api/query-keys';
import { sagaKeys } from './query-keys';

export const startSaga = (request: StartSagaRequest): Promise<SagaSummary> => api.post<SagaSummary>('/sagas', request);

export const useStartSaga = () => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: startSaga,
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: sagaKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: overviewKeys.stats() }),
      ]),
  });
};
