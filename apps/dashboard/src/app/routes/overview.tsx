import { ButtonLink } from '../../components/button';
import { ErrorState, Loading } from '../../components/states';
import { useStats } from '../../features/overview/api/get-stats';
import { ByNameTable } from '../../features/overview/components/by-name-table';
import { AttentionCards, StatusCounts } from '../../features/overview/components/status-counts';
import { useDocumentTitle } from '../../lib/use-document-title';

export function OverviewRoute() {
  useDocumentTitle('Overview');
  const stats = useStats();
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Overview</h1>
          <p className="muted small">
            {stats.data ? `${stats.data.total.toLocaleString()} sagas in total · refreshes every 5 s` : 'Counts of every saga the app knows'}
          </p>
        </div>
        <ButtonLink to="/sagas" size="sm">
          All sagas
        </ButtonLink>
      </header>
      {stats.isPending ? (
        <Loading label="Loading counts…" />
      ) : stats.isError ? (
        <ErrorState error={stats.error} title="Could not load the counts" onRetry={() => void stats.refetch()} />
      ) : (
        <>
          <section aria-labelledby="attention-title" className="section">
            <h2 id="attention-title">Needs attention</h2>
            <AttentionCards stats={stats.data} />
          </section>
          <section aria-labelledby="status-title" className="section">
            <h2 id="status-title">By status</h2>
            <StatusCounts stats={stats.data} />
          </section>
          <section aria-labelledby="name-title" className="section">
            <h2 id="name-title">By saga</h2>
            <div className="card card-flush">
              <ByNameTable stats={stats.data} />
            </div>
          </section>
        </>
      )}
    </div>
  );
}
