/**
 * Progress of one tracked bulk action (the list page's `?bulk=<id>`): counters, a progress bar,
 * the sagas it could not act on and why, and a cancel button while it runs. Polls while RUNNING;
 * the sagas list and the counts are refreshed as it advances.
 */
import type { BulkActionStatus, BulkActionView } from '@nest-saga/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link } from 'react-router';
import { Badge, type Tone } from '../../../components/badge';
import { Button } from '../../../components/button';
import { CopyButton } from '../../../components/copy-button';
import { ErrorMessage, ErrorState, Loading } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { DateTime } from '../../../components/time';
import { isApiError } from '../../../lib/api-client';
import { pluralize, shortId } from '../../../lib/format';
import { useCanOperate } from '../../auth/session-context';
import { overviewKeys } from '../../overview/api/query-keys';
import { sagaKeys } from '../../sagas/api/query-keys';
import { useCancelBulkAction } from '../api/cancel-bulk-action';
import { useBulkAction } from '../api/get-bulk-action';
import { BULK_ACTION_TEXT } from '../lib/selection';

const STATUS_TONE = { RUNNING: 'progress', DONE: 'success', CANCELLED: 'warning' } as const satisfies Record<BulkActionStatus, Tone>;

function Counter({ label, value, tone }: { label: string; value: number; tone?: Tone }) {
  return (
    <div className={`meta-item bulk-counter${tone ? ` tone-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd className="bulk-counter-value">{value.toLocaleString()}</dd>
    </div>
  );
}

function Failures({ view }: { view: BulkActionView }) {
  if (!view.failed) return null;
  return (
    <section className="stack bulk-failures" aria-label="Failures">
      <h3>
        {pluralize(view.failed, 'saga')} could not be {BULK_ACTION_TEXT[view.action].past}
        {view.failures.length < view.failed ? <span className="muted small"> (the first {view.failures.length} listed)</span> : null}
      </h3>
      <Table caption="Sagas the bulk action could not act on" className="history-table">
        <thead>
          <tr>
            <Th>Saga</Th>
            <Th>Code</Th>
            <Th>Message</Th>
          </tr>
        </thead>
        <tbody>
          {view.failures.map((f) => (
            <tr key={f.sagaId}>
              <Td>
                <Link to={`/sagas/${encodeURIComponent(f.sagaId)}`} className="mono" title={f.sagaId} aria-label={`Saga ${f.sagaId}`}>
                  {shortId(f.sagaId)}
                </Link>
              </Td>
              <Td className="mono small">{f.code}</Td>
              <Td className="error-cell">{f.message}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}

export function BulkProgress({ id, onDismiss }: { id: string; onDismiss: () => void }) {
  const canOperate = useCanOperate();
  const queryClient = useQueryClient();
  const bulk = useBulkAction(id);
  const cancel = useCancelBulkAction();
  const view = bulk.data;

  // Each saga acted on changes the list and the counts: refresh them as the action advances.
  useEffect(() => {
    if (!view) return;
    void queryClient.invalidateQueries({ queryKey: sagaKeys.all });
    void queryClient.invalidateQueries({ queryKey: overviewKeys.stats() });
  }, [queryClient, view?.done, view?.status]);

  if (bulk.isPending) {
    return (
      <section className="card" aria-label="Bulk action">
        <Loading label="Loading the bulk action…" />
      </section>
    );
  }
  if (bulk.isError) {
    const notFound = isApiError(bulk.error) && (bulk.error.status === 404 || bulk.error.status === 400);
    return (
      <section className="card" aria-label="Bulk action">
        <ErrorState error={bulk.error} title={notFound ? 'No such bulk action' : 'Could not load the bulk action'} onRetry={notFound ? undefined : () => void bulk.refetch()} />
        <div className="card-actions">
          <Button size="sm" variant="ghost" onClick={onDismiss}>
            Dismiss
          </Button>
        </div>
      </section>
    );
  }

  const v = bulk.data;
  const text = BULK_ACTION_TEXT[v.action];
  const running = v.status === 'RUNNING';
  const percent = v.total ? Math.round((v.done / v.total) * 100) : 100;
  return (
    <section className="card stack bulk-progress" aria-label="Bulk action" aria-busy={running}>
      <div className="card-header">
        <div>
          <h2 className="bulk-title">
            Bulk {text.verb} <Badge tone={STATUS_TONE[v.status]} className="status-badge">{v.status}</Badge>
          </h2>
          <p className="muted small">
            <span className="mono">{v.id}</span> <CopyButton value={v.id} label="Copy bulk action id" /> · by {v.actor} · started <DateTime iso={v.createdAt} />
            {v.finishedAt ? (
              <>
                {' '}
                · ended <DateTime iso={v.finishedAt} />
              </>
            ) : null}{' '}
            · {v.ratePerSec}/s
          </p>
          <p className="small">
            Reason: <span className="reason">{v.reason}</span>
          </p>
        </div>
        <div className="card-actions">
          {canOperate && running ? (
            <Button size="sm" variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate(v.id)}>
              Cancel bulk action
            </Button>
          ) : null}
          <Button size="sm" variant="ghost" onClick={onDismiss}>
            Dismiss
          </Button>
        </div>
      </div>

      <div className="bulk-bar-row">
        <progress className="bulk-bar" max={Math.max(v.total, 1)} value={v.total ? v.done : 1} aria-label={`Progress of the bulk ${text.verb}`} />
        <span className="small strong" aria-live="polite">
          {v.done.toLocaleString()} of {pluralize(v.total, 'saga')} done ({percent}%)
        </span>
      </div>
      <dl className="meta-grid bulk-counters" aria-label="Counts">
        <Counter label="Done" value={v.done} />
        <Counter label="Succeeded" value={v.succeeded} tone="success" />
        <Counter label="Failed" value={v.failed} tone={v.failed ? 'danger' : undefined} />
        <Counter label={running ? 'To go' : 'Skipped (not reached)'} value={v.total - v.done} tone={!running && v.total > v.done ? 'warning' : undefined} />
      </dl>
      {v.status === 'CANCELLED' && v.total > v.done ? (
        <p className="callout callout-warning">Cancelled: the {pluralize(v.total - v.done, 'saga')} not reached were left as they were.</p>
      ) : null}
      {v.status === 'DONE' ? (
        <p className="callout callout-success" role="status">
          Done: {pluralize(v.succeeded, 'saga')} {text.past}
          {v.failed ? `, ${v.failed.toLocaleString()} failed` : ''}. Each saga now carries on by itself (compensations run in the background).
        </p>
      ) : null}
      {cancel.isError ? <ErrorMessage error={cancel.error} /> : null}
      <Failures view={v} />
    </section>
  );
}
