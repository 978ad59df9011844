/** /sagas/:id — header with status and actions, then tabs (`?tab=`): steps, plan, input and output, history. */
import { useState } from 'react';
import { isApiError } from '../../lib/api-client';
import { Link, useParams, useSearchParams } from 'react-router';
import { ButtonLink } from '../../components/button';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { Tabs } from '../../components/tabs';
import { sagaPollInterval, useSaga } from '../../features/sagas/api/get-saga';
import { ActionDialog, type PendingAction } from '../../features/sagas/components/action-dialog';
import { EventHistory } from '../../features/sagas/components/event-history';
import { SagaData } from '../../features/sagas/components/saga-data';
import { SagaHeader } from '../../features/sagas/components/saga-header';
import { SagaPlan } from '../../features/sagas/components/saga-plan';
import { StepsTimeline } from '../../features/sagas/components/steps-timeline';
import { useDocumentTitle } from '../../lib/use-document-title';
import { useNow } from '../../lib/use-now';

const TABS = ['steps', 'plan', 'data', 'history'] as const;
type TabKey = (typeof TABS)[number];

export function SagaDetailRoute() {
  const { id = '' } = useParams();
  // One page per saga: a dialog or notice about one saga never carries over to the next.
  return <SagaDetailPage key={id} id={id} />;
}

function SagaDetailPage({ id }: { id: string }) {
  const saga = useSaga(id);
  const [searchParams, setSearchParams] = useSearchParams();
  const tabParam = searchParams.get('tab');
  const tab: TabKey = (TABS as readonly string[]).includes(tabParam ?? '') ? (tabParam as TabKey) : 'steps';
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const now = useNow(1_000);
  useDocumentTitle(saga.data ? `${saga.data.name} ${saga.data.status}` : 'Saga');

  const back = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <Link to="/sagas">Sagas</Link> <span aria-hidden="true">/</span> <span className="mono">{id}</span>
    </nav>
  );

  if (saga.isPending) {
    return (
      <div className="page">
        {back}
        <Loading label="Loading saga…" />
      </div>
    );
  }
  if (saga.isError && !saga.data) {
    return (
      <div className="page">
        {back}
        {isApiError(saga.error) && saga.error.status === 404 ? (
          <EmptyState title="There is no saga with this id">
            <p className="mono">{id}</p>
            <ButtonLink to="/sagas">Back to the list</ButtonLink>
          </EmptyState>
        ) : (
          <ErrorState error={saga.error} title="Could not load this saga" onRetry={() => void saga.refetch()} />
        )}
      </div>
    );
  }

  const detail = saga.data;
  const poll = sagaPollInterval(detail.status, Boolean(detail.pendingRequest));
  return (
    <div className="page">
      {back}
      <SagaHeader
        saga={detail}
        now={now}
        onAction={(action) => {
          setNotice(null);
          setPending({ kind: 'saga', action });
        }}
      />
      {notice ? (
        <div className="callout callout-success notice" role="status">
          <span>{notice}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      ) : null}
      {saga.isError ? (
        <p className="callout callout-warning" role="alert">
          Refreshing failed; this is the last state loaded.
        </p>
      ) : null}
      <p className="muted small live-note">
        {poll ? `Live: refreshes every ${poll / 1_000} s.` : 'Finished: no longer refreshing.'}
        {saga.isFetching ? <span className="spinner spinner-inline" aria-hidden="true" /> : null}
      </p>
      <Tabs
        label="Saga details"
        active={tab}
        onChange={(key) => {
          const next = new URLSearchParams(searchParams);
          if (key === 'steps') next.delete('tab');
          else next.set('tab', key);
          setSearchParams(next, { replace: true });
        }}
        items={[
          { key: 'steps', label: `Steps (${detail.steps.length})` },
          { key: 'plan', label: `Plan (${detail.steps.length} step${detail.steps.length === 1 ? '' : 's'})` },
          { key: 'data', label: 'Input & output' },
          { key: 'history', label: `History (${detail.events.length})` },
        ]}
      >
        {tab === 'steps' ? (
          <StepsTimeline
            saga={detail}
            now={now}
            onResolve={(step) => {
              setNotice(null);
              setPending({ kind: 'resolve', step });
            }}
          />
        ) : tab === 'plan' ? (
          <SagaPlan saga={detail} />
        ) : tab === 'data' ? (
          <SagaData saga={detail} />
        ) : (
          <EventHistory events={detail.events} />
        )}
      </Tabs>
      {pending ? (
        <ActionDialog
          saga={detail}
          pending={pending}
          onClose={() => setPending(null)}
          onDone={(message) => {
            setPending(null);
            setNotice(message);
          }}
        />
      ) : null}
    </div>
  );
}
