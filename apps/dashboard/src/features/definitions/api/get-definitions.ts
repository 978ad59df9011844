import type { SagaDefinitionView } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { definitionKeys } from './query-keys';

export const getDefinitions = (signal?: AbortSignal): Promise<SagaDefinitionView[]> =>
  api.get<SagaDefinitionView[]>('/saga-definitions', undefined, signal);

export const definitionsQueryOptions = () =>
  queryOptions({
    queryKey: definitionKeys.list(),
    queryFn: ({ signal }) => getDefinitions(signal),
    // Definitions change only when the app is redeployed.
    staleTime: 60_000,
  });

export const useDefinitions = () => useQuery(definitionsQueryOptions());
