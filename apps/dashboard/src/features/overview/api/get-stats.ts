import type { SagaStats } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { overviewKeys } from './query-keys';

export const getStats = (signal?: AbortSignal): Promise<SagaStats> => api.get<SagaStats>('/stats', undefined, signal);

export const statsQueryOptions = () =>
  queryOptions({
    queryKey: overviewKeys.stats(),
    queryFn: ({ signal }) => getStats(signal),
    refetchInterval: 5_000,
  });

export const useStats = () => useQuery(statsQueryOptions());
