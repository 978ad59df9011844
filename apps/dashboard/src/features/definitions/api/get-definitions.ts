import type { SagaDefinitionCensus } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { definitionKeys } from './query-keys';

/** The registered sagas, each with the versions its unfinished sagas still run. */
export const getDefinitions = (signal?: AbortSignal): Promise<SagaDefinitionCensus[]> =>
  api.get<SagaDefinitionCensus[]>('/saga-definitions', undefined, signal);

export const definitionsQueryOptions = () =>
  queryOptions({
    queryKey: definitionKeys.list(),
    queryFn: ({ signal }) => getDefinitions(signal),
    // Definitions change only when the app is redeployed; the versions' counts move with the sagas.
    staleTime: 15_000,
  });

export const useDefinitions = () => useQuery(definitionsQueryOptions());
