/**
 * The bar above the sagas table for operators: how many rows are ticked, "select all matching this
 * filter", and the bulk actions. Hidden for viewers (the API refuses them anyway).
 */
import type { SagaAction } from '@nest-saga/contracts';
import { useMemo } from 'react';
import { Button } from '../../../components/button';
import { pluralize } from '../../../lib/format';
import { useMatchingCount } from '../api/preview-bulk-action';
import { BULK_ACTION_TEXT, describeFilters, offeredActions, toBulkFilter, type BulkScope } from '../lib/selection';

export interface BulkToolbarProps {
  /** null: nothing selected. */
  scope: BulkScope | null;
  onSelectAllMatching: () => void;
  onClear: () => void;
  onAction: (action: SagaAction) => void;
}

export function BulkToolbar({ scope, onSelectAllMatching, onClear, onAction }: BulkToolbarProps) {
  const actions = scope ? offeredActions(scope) : [];
  const filter = useMemo(() => (scope?.kind === 'filter' ? toBulkFilter(scope) : {}), [scope]);
  const count = useMatchingCount(filter, scope?.kind === 'filter');
  let summary: string;
  if (!scope) summary = 'Select sagas to act on several at once.';
  else if (scope.kind === 'ids') summary = `${pluralize(scope.sagas.length, 'saga')} selected.`;
  else {
    const filters = describeFilters(scope.filters);
    const all = count.data === undefined ? 'All sagas' : count.data === 1 ? 'The 1 saga' : `All ${count.data.toLocaleString()} sagas`;
    summary = filters ? `${all} matching ${filters} ${count.data === 1 ? 'is' : 'are'} selected, on every page.` : `${all} ${count.data === 1 ? 'is' : 'are'} selected, on every page (no filter is set).`;
  }
  const offerAll = scope?.kind !== 'filter';
  return (
    <div className="bulk-toolbar" role="toolbar" aria-label="Bulk actions">
      <span className="small" aria-live="polite">
        {summary}
      </span>
      {offerAll ? (
        <Button size="sm" variant="ghost" onClick={onSelectAllMatching}>
          Select all matching this filter
        </Button>
      ) : null}
      {scope ? (
        <Button size="sm" variant="ghost" onClick={onClear}>
          Clear selection
        </Button>
      ) : null}
      <div className="bulk-toolbar-actions">
        {(scope ? actions : []).map((action) => (
          <Button key={action} size="sm" variant={BULK_ACTION_TEXT[action].variant} onClick={() => onAction(action)}>
            {BULK_ACTION_TEXT[action].label}
          </Button>
        ))}
      </div>
    </div>
  );
}
