import type { BulkActionFilter, SagaAction } from '@nest-saga/contracts';

/** Every bulk-action query and invalidation goes through these keys. */
export const bulkActionKeys = {
  all: ['bulk-actions'] as const,
  lists: () => [...bulkActionKeys.all, 'list'] as const,
  list: (limit: number) => [...bulkActionKeys.lists(), limit] as const,
  details: () => [...bulkActionKeys.all, 'detail'] as const,
  detail: (id: string) => [...bulkActionKeys.details(), id] as const,
  previews: () => [...bulkActionKeys.all, 'preview'] as const,
  preview: (action: SagaAction, filter: BulkActionFilter) => [...bulkActionKeys.previews(), action, filter] as const,
};
