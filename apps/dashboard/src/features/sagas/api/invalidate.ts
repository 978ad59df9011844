import type { SagaDetail } from '@nest-saga/contracts';
import type { QueryClient } from '@tanstack/react-query';
import { overviewKeys } from '../../overview/api/query-keys';
import { sagaKeys } from './query-keys';

/** After any change to a saga: show the server's answer at once, and refresh lists and counts. */
export async function afterSagaChanged(queryClient: QueryClient, id: string, detail?: SagaDetail): Promise<void> {
  if (detail) queryClient.setQueryData(sagaKeys.detail(id), detail);
  await Promise.all([
    detail ? undefined : queryClient.invalidateQueries({ queryKey: sagaKeys.detail(id) }),
    queryClient.invalidateQueries({ queryKey: sagaKeys.lists() }),
    queryClient.invalidateQueries({ queryKey: overviewKeys.stats() }),
  ]);
}
