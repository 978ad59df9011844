/**
 * What a bulk action is applied to: the rows an operator ticked, or every saga matching the list's
 * filters (however many pages). Pure functions, shared by the toolbar, the dialog and the tests.
 */
import { canPerform, SAGA_ACTIONS, type BulkActionFilter, type SagaAction, type SagaSummary } from '@nest-saga/contracts';
import type { ButtonVariant } from '../../../components/button';
import type { SagaListFilters } from '../../sagas/api/search-params';

export type BulkScope = { kind: 'ids'; sagas: SagaSummary[] } | { kind: 'filter'; filters: SagaListFilters };

/** The API's filter for a scope: the ticked ids, or the list's filters (only those set). */
export function toBulkFilter(scope: BulkScope): BulkActionFilter {
  if (scope.kind === 'ids') return { ids: scope.sagas.map((s) => s.id) };
  const { status, name, stuck, q } = scope.filters;
  return {
    ...(status.length ? { status: [...status] } : {}),
    ...(name ? { name } : {}),
    ...(stuck ? { stuck: true } : {}),
    ...(q ? { q } : {}),
  };
}

/** The list's filters in words: `status FAILED or PAUSED · saga order · stuck · search "A-1"`; null when none. */
export function describeFilters(filters: SagaListFilters): string | null {
  const parts: string[] = [];
  if (filters.status.length) parts.push(`status ${filters.status.join(' or ')}`);
  if (filters.name) parts.push(`saga ${filters.name}`);
  if (filters.stuck) parts.push('stuck');
  if (filters.q) parts.push(`search "${filters.q}"`);
  return parts.length ? parts.join(' · ') : null;
}

/** Actions worth offering: for ticked rows, those at least one of them allows now; for a filter, all. */
export function offeredActions(scope: BulkScope): SagaAction[] {
  if (scope.kind === 'filter') return [...SAGA_ACTIONS];
  return SAGA_ACTIONS.filter((action) => scope.sagas.some((s) => canPerform(action, s.status)));
}

interface BulkActionText {
  /** Toolbar button. */
  label: string;
  /** Infinitive, lower case: "cancel". */
  verb: string;
  /** Passive past participle: "cancelled". */
  past: string;
  variant: ButtonVariant;
  /** What happens to each saga, for the dialog. */
  effect: string;
}

export const BULK_ACTION_TEXT = {
  cancel: {
    label: 'Cancel…',
    verb: 'cancel',
    past: 'cancelled',
    variant: 'danger',
    effect: 'Each saga stops going forward and undoes what it did (the compensations below, in reverse order); it ends CANCELLED, or FAILED if a compensation gives up.',
  },
  compensate: {
    label: 'Compensate…',
    verb: 'compensate',
    past: 'compensated',
    variant: 'danger',
    effect: 'Each saga undoes what it did (the compensations below, in reverse order); a FAILED one runs the compensations still due again. It ends COMPENSATED, or FAILED if a compensation gives up.',
  },
  retry: {
    label: 'Retry…',
    verb: 'retry',
    past: 'retried',
    variant: 'primary',
    effect: 'A PAUSED saga runs forward again from the step where it stopped; a FAILED one runs its failed compensations again with fresh attempts.',
  },
  pause: {
    label: 'Pause…',
    verb: 'pause',
    past: 'paused',
    variant: 'secondary',
    effect: 'Each saga finishes the step in flight, then nothing runs until an operator resumes, retries, cancels or compensates it.',
  },
  resume: {
    label: 'Resume…',
    verb: 'resume',
    past: 'resumed',
    variant: 'primary',
    effect: 'Each PAUSED saga continues where it stopped.',
  },
} as const satisfies Record<SagaAction, BulkActionText>;
