/**
 * /sagas: every filter and the page cursor are in the query string; the cursors of earlier pages
 * ride in the history entry's state, so "Previous" and the browser's back button agree.
 */
import { useMemo } from 'react';
import { useLocation, useSearchParams } from 'react-router';
import { Button } from '../../components/button';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { useDefinitions } from '../../features/definitions/api/get-definitions';
import { LIST_REFRESH_MS, useSagas } from '../../features/sagas/api/get-sagas';
import { hasFilters, parseSagaListSearch, toSagaListSearch, type SagaListFilters, type SagaListQuery } from '../../features/sagas/api/search-params';
import { Pager } from '../../features/sagas/components/pager';
import { SagaFilters } from '../../features/sagas/components/saga-filters';
import { SagasTable } from '../../features/sagas/components/sagas-table';
import { describeError } from '../../lib/errors';
import { formatTimeMs } from '../../lib/format';
import { useDocumentTitle } from '../../lib/use-document-title';
import { useNow } from '../../lib/use-now';

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

  const go = (next: SagaListQuery, state: PagingState = {}) => setSearchParams(toSagaListSearch(next), { state });
  const onFilters = (filters: SagaListFilters) => go({ ...filters, limit: query.limit, cursor: null });
  const filters: SagaListFilters = { status: query.status, name: query.name, stuck: query.stuck, q: query.q };
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

      <section className="card card-flush" aria-label="Results" aria-busy={sagas.isFetching}>
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
          <SagasTable sagas={sagas.data.items} now={now} />
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
    </div>
  );
}
