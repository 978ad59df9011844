/** GET /api/steps/paused: the steps the circuit breaker holds (or is releasing), with the sagas waiting at each. */
import type { StepPauseView } from '@nest-saga/contracts';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { stepBreakerKeys } from './query-keys';

export const getPausedSteps = (signal?: AbortSignal): Promise<StepPauseView[]> => api.get<StepPauseView[]>('/steps/paused', undefined, signal);

export const pausedStepsQueryOptions = () =>
  queryOptions({
    queryKey: stepBreakerKeys.paused(),
    queryFn: ({ signal }) => getPausedSteps(signal),
    // Sagas arrive at a paused step and leave it during a ramp: keep the counts moving.
    refetchInterval: 2_000,
  });

export const usePausedSteps = () => useQuery(pausedStepsQueryOptions());
