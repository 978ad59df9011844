import { isTerminal, type SagaDetail, type SagaStatus } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { sagaKeys } from './query-keys';

export const getSaga = (id: string, signal?: AbortSignal): Promise<SagaDetail> =>
  api.get<SagaDetail>(`/sagas/${encodeURIComponent(id)}`, undefined, signal);

/**
 * How often the detail page polls: every second while the engine works on the saga (or has an
 * operator request to apply); every 5 s while it waits for an operator (PAUSED, FAILED: only another
 * operator would change it); never once it is terminal (an action of ours sets fresh data, which
 * starts polling again).
 */
export function sagaPollInterval(status: SagaStatus | undefined, hasPendingRequest = false): number | false {
  if (status === undefined) return false;
  if (hasPendingRequest) return 1_000;
  if (isTerminal(status)) return false;
  if (status === 'PAUSED' || status === 'FAILED') return 5_000;
  return 1_000;
}

export const sagaQueryOptions = (id: string) =>
  queryOptions({
    queryKey: sagaKeys.detail(id),
    queryFn: ({ signal }) => getSaga(id, signal),
    refetchInterval: (query) =>
      query.state.status === 'error' ? false : sagaPollInterval(query.state.data?.status, Boolean(query.state.data?.pendingRequest)),
  });

export const useSaga = (id: string) => useQuery(sagaQueryOptions(id));
