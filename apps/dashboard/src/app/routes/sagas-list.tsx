/**
 * /sagas: every filter and the page cursor are in the query string; the cursors of earlier pages
 * ride in the history entry's state, so "Previous" and the browser's back button agree.
 */
import type { SagaAction, SagaSummary } from '@nest-saga/contracts';
import { useEffect, useMemo, useState } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { Button } from '../../components/button';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { useCanOperate } from '../../features/auth/session-context';
import { BulkActionDialog } from '../../features/bulk-actions/components/bulk-action-dialog';
import { BulkProgress } from '../../features/bulk-actions/components/bulk-progress';
import { BulkToolbar } from '../../features/bulk-actions/components/bulk-toolbar';
import { RecentBulkActions } from '../../features/bulk-actions/components/recent-bulk-actions';
import type { BulkScope } from '../../features/bulk-actions/lib/selection';
import { useDefinitions } from '../../features/definitions/api/get-definitions';
import { LIST_REFRESH_MS, useSagas } from '../../features/sagas/api/get-sagas';
import { hasFilters, parseSagaListSearch, toSagaListSearch, type SagaListFilters, type SagaListQuery } from '../../features/sagas/api/search-params';
import { Pager } from '../../features/sagas/components/pager';
import { SagaFilters } from '../../features/sagas/components/saga-filters';
import { SagasTable, type SagaRowSelection } from '../../features/sagas/components/sagas-table';
import { describeError } from '../../lib/errors';
import { formatTimeMs } from '../../lib/format';
import { useDocumentTitle } from '../../lib/use-document-title';
import { useNow } from '../../lib/use-now';

/** The query-string key of the bulk action whose progress the page shows (a link operators share). */
export const BULK_PARAM = 'bulk';

interface PagingState {
  /** Cursors of the pages before this one; '' is the first page. */
  previousCursors?: string[];
}

export function SagasListRoute() {
  useDocumentTitle('Sagas');
  const [searchParams, setSearchParams] = useSearchParams();
  const location = useLocation();
  const query = useMemo(() => parseSagaListSearch(searchParams), [searchParams]);
  const previousCursors = ((location.state as PagingState | null)?.previousCursors ?? []).filter((c) => typeof c === 'string');
  const sagas = useSagas(query);
  const definitions = useDefinitions();
  const now = useNow(5_000);
  const canOperate = useCanOperate();
  const bulkId = searchParams.get(BULK_PARAM)?.trim() || null;

  const withBulk = (params: URLSearchParams, id: string | null) => {
    if (id) params.set(BULK_PARAM, id);
    return params;
  };
  const go = (next: SagaListQuery, state: PagingState = {}) => setSearchParams(withBulk(toSagaListSearch(next), bulkId), { state });
  const onFilters = (filters: SagaListFilters) => go({ ...filters, limit: query.limit, cursor: null });
  const filters: SagaListFilters = { status: query.status, name: query.name, stuck: query.stuck, q: query.q };

  // Bulk selection: ticked rows (kept across pages), or every saga matching the filters. A filter
  // change starts over, so nothing chosen under other filters is acted on by surprise.
  const [picked, setPicked] = useState<ReadonlyMap<string, SagaSummary>>(new Map());
  const [allMatching, setAllMatching] = useState(false);
  const [pendingAction, setPendingAction] = useState<SagaAction | null>(null);
  const filtersKey = JSON.stringify(filters);
  useEffect(() => {
    setPicked(new Map());
    setAllMatching(false);
  }, [filtersKey]);
  // Ticked rows follow the list's refreshes, so the actions offered match their current statuses.
  useEffect(() => {
    const rows = sagas.data?.items;
    if (!rows) return;
    setPicked((current) => {
      if (!current.size || !rows.some((row) => current.has(row.id) && current.get(row.id)!.status !== row.status)) return current;
      const next = new Map(current);
      for (const row of rows) if (next.has(row.id)) next.set(row.id, row);
      return next;
    });
  }, [sagas.data]);
  const clearSelection = () => {
    setPicked(new Map());
    setAllMatching(false);
  };
  const scope: BulkScope | null = allMatching ? { kind: 'filter', filters } : picked.size ? { kind: 'ids', sagas: [...picked.values()] } : null;
  const pageRows = sagas.data?.items ?? [];
  const selection: SagaRowSelection = {
    isSelected: (id) => picked.has(id),
    all: allMatching,
    onToggle: (saga, selected) =>
      setPicked((current) => {
        const next = new Map(current);
        if (selected) next.set(saga.id, saga);
        else next.delete(saga.id);
        return next;
      }),
    onTogglePage: (selected) =>
      setPicked((current) => {
        const next = new Map(current);
        for (const saga of pageRows) {
          if (selected) next.set(saga.id, saga);
          else next.delete(saga.id);
        }
        return next;
      }),
  };
  const showBulk = (id: string | null) => {
    const params = new URLSearchParams(searchParams);
    params.delete(BULK_PARAM);
    setSearchParams(withBulk(params, id), { state: location.state });
  };
  const names = useMemo(() => (definitions.data ?? []).map((d) => d.name).sort(), [definitions.data]);

  const nextCursor = sagas.data?.nextCursor ?? null;
  const page = query.cursor ? (previousCursors.length ? previousCursors.length + 1 : null) : 1;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Sagas</h1>
          <p className="muted small" aria-live="off">
            Newest first · refreshes every {LIST_REFRESH_MS / 1_000} s
            {sagas.dataUpdatedAt ? ` · updated ${formatTimeMs(new Date(sagas.dataUpdatedAt).toISOString()).slice(0, 8)}` : ''}
            {sagas.isFetching ? <span className="spinner spinner-inline" aria-hidden="true" /> : null}
          </p>
        </div>
        <Button size="sm" onClick={() => void sagas.refetch()}>
          Refresh
        </Button>
      </header>

      <SagaFilters filters={filters} names={names} onChange={onFilters} />

      {bulkId ? <BulkProgress key={bulkId} id={bulkId} onDismiss={() => showBulk(null)} /> : <RecentBulkActions onOpen={showBulk} />}

      <section className="card card-flush" aria-label="Results" aria-busy={sagas.isFetching}>
        {canOperate ? (
          <BulkToolbar
            scope={scope}
            onSelectAllMatching={() => {
              setPicked(new Map());
              setAllMatching(true);
            }}
            onClear={clearSelection}
            onAction={setPendingAction}
          />
        ) : null}
        {sagas.isError && sagas.data ? (
          <p className="callout callout-warning flush-callout" role="alert">
            Refreshing failed: {describeError(sagas.error).summary} Showing the last rows loaded.{' '}
            <span className="mono small">{describeError(sagas.error).reference}</span>
          </p>
        ) : null}
        {sagas.isPending ? (
          <Loading label="Loading sagas…" />
        ) : sagas.isError && !sagas.data ? (
          <ErrorState error={sagas.error} title="Could not load sagas" onRetry={() => void sagas.refetch()} />
        ) : sagas.data.items.length === 0 ? (
          <EmptyState title={hasFilters(filters) ? 'No sagas match these filters' : query.cursor ? 'No more sagas' : 'No sagas yet'}>
            {hasFilters(filters) ? (
              <Button size="sm" onClick={() => onFilters({ status: [], name: null, stuck: false, q: null })}>
                Clear filters
              </Button>
            ) : query.cursor ? null : (
              <p>Sagas appear here as soon as the application starts one.</p>
            )}
          </EmptyState>
        ) : (
          <SagasTable sagas={sagas.data.items} now={now} selection={canOperate ? selection : undefined} />
        )}
        <Pager
          page={page}
          hasPrevious={Boolean(query.cursor)}
          hasNext={Boolean(nextCursor) && !sagas.isPlaceholderData}
          limit={query.limit}
          busy={sagas.isPlaceholderData}
          onFirst={() => go({ ...query, cursor: null })}
          onPrevious={() => {
            const previous = previousCursors.at(-1);
            go({ ...query, cursor: previous || null }, { previousCursors: previousCursors.slice(0, -1) });
          }}
          onNext={() => {
            if (nextCursor) go({ ...query, cursor: nextCursor }, { previousCursors: [...previousCursors, query.cursor ?? ''] });
          }}
          onLimit={(limit) => go({ ...query, limit, cursor: null })}
        />
      </section>

      {pendingAction && scope ? (
        <BulkActionDialog
          action={pendingAction}
          scope={scope}
          onClose={() => setPendingAction(null)}
          onStarted={(id) => {
            setPendingAction(null);
            clearSelection();
            showBulk(id);
          }}
        />
      ) : null}
    </div>
  );
}
