import type { SagaPage } from '@nest-saga/contracts';
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { sagaKeys } from './query-keys';
import type { SagaListQuery } from './search-params';

export const LIST_REFRESH_MS = 5_000;

export const getSagas = (query: SagaListQuery, signal?: AbortSignal): Promise<SagaPage> =>
  api.get<SagaPage>(
    '/sagas',
    {
      status: query.status,
      name: query.name,
      stuck: query.stuck ? 'true' : undefined,
      q: query.q,
      limit: query.limit,
      cursor: query.cursor,
    },
    signal,
  );

export const sagasQueryOptions = (query: SagaListQuery) =>
  queryOptions({
    queryKey: sagaKeys.list(query),
    queryFn: ({ signal }) => getSagas(query, signal),
    // Keeps the current rows on screen while the next page or filter loads.
    placeholderData: keepPreviousData,
    // Refreshes on its own while the tab is visible (TanStack pauses intervals in background tabs).
    refetchInterval: LIST_REFRESH_MS,
  });

export const useSagas = (query: SagaListQuery) => useQuery(sagasQueryOptions(query));
