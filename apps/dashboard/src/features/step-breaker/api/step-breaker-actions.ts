/** POST /api/steps/:step/pause and /resume → 202 with the step's pause as it is now. */
import type { StepPauseRequest, StepPauseView, StepResumeRequest } from '@nest-saga/contracts';
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api-client';
import { overviewKeys } from '../../overview/api/query-keys';
import { sagaKeys } from '../../sagas/api/query-keys';
import { stepBreakerKeys } from './query-keys';

export interface PauseStepInput extends StepPauseRequest {
  step: string;
}

export interface ResumeStepInput extends StepResumeRequest {
  step: string;
}

export const pauseStep = ({ step, reason }: PauseStepInput): Promise<StepPauseView> =>
  api.post<StepPauseView>(`/steps/${encodeURIComponent(step)}/pause`, { reason } satisfies StepPauseRequest);

export const resumeStep = ({ step, reason, ratePerSec }: ResumeStepInput): Promise<StepPauseView> =>
  api.post<StepPauseView>(`/steps/${encodeURIComponent(step)}/resume`, (ratePerSec === undefined ? { reason } : { reason, ratePerSec }) satisfies StepResumeRequest);

/** Held and released sagas change status: refresh the paused steps, the lists and the counts. */
async function afterStepChanged(queryClient: QueryClient): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: stepBreakerKeys.paused() }),
    queryClient.invalidateQueries({ queryKey: sagaKeys.lists() }),
    queryClient.invalidateQueries({ queryKey: overviewKeys.stats() }),
  ]);
}

export const usePauseStep = () => {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: pauseStep, onSettled: () => afterStepChanged(queryClient) });
};

export const useResumeStep = () => {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: resumeStep, onSettled: () => afterStepChanged(queryClient) });
};
