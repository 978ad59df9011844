import type { SagaListQuery } from './search-params';

/** Every sagas query and invalidation goes through these keys. */
export const sagaKeys = {
  all: ['sagas'] as const,
  lists: () => [...sagaKeys.all, 'list'] as const,
  list: (query: SagaListQuery) => [...sagaKeys.lists(), query] as const,
  details: () => [...sagaKeys.all, 'detail'] as const,
  detail: (id: string) => [...sagaKeys.details(), id] as const,
};
