/** GET /api/saga-steps: every registered step, what sagas can be composed of. */
import type { StepDefinitionView } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { stepKeys } from './query-keys';

export const getSagaSteps = (signal?: AbortSignal): Promise<StepDefinitionView[]> => api.get<StepDefinitionView[]>('/saga-steps', undefined, signal);

export const sagaStepsQueryOptions = () =>
  queryOptions({
    queryKey: stepKeys.catalog(),
    queryFn: ({ signal }) => getSagaSteps(signal),
    // Steps change only when the app is redeployed.
    staleTime: 60_000,
  });

export const useSagaSteps = () => useQuery(sagaStepsQueryOptions());
