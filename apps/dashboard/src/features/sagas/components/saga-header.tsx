import { allowedActions, type SagaAction, type SagaDetail } from '@nest-saga/contracts';
import type { ReactNode } from 'react';
import { Button } from '../../../components/button';
import { CopyButton } from '../../../components/copy-button';
import { DateTime, RelativeTime } from '../../../components/time';
import { formatDuration, humanize } from '../../../lib/format';
import { useCanOperate } from '../../auth/session-context';
import { ACTION_LABELS, ACTION_TEXT } from './action-dialog';
import { describePlan } from './saga-plan';
import { SagaStatusBadge, STUCK_REASON_TEXT } from './status-badge';

function Meta({ label, children, wide = false }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={wide ? 'meta-item meta-wide' : 'meta-item'}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function SagaActions({ saga, onAction }: { saga: SagaDetail; onAction: (action: SagaAction) => void }) {
  const canOperate = useCanOperate();
  if (!canOperate) return null;
  const actions = allowedActions(saga.status);
  if (actions.length === 0) return null;
  return (
    <div className="actions" role="group" aria-label="Actions">
      {actions.map((action) => (
        <Button key={action} variant={ACTION_TEXT[action].variant} size="sm" onClick={() => onAction(action)}>
          {ACTION_LABELS[action]}
        </Button>
      ))}
    </div>
  );
}

export function SagaHeader({ saga, now, onAction }: { saga: SagaDetail; now: number; onAction: (action: SagaAction) => void }) {
  const runtime = saga.finishedAt ? Date.parse(saga.finishedAt) - Date.parse(saga.createdAt) : now - Date.parse(saga.createdAt);
  return (
    <section className="saga-header card" aria-labelledby="saga-title">
      <div className="saga-title-row">
        <div className="saga-title">
          <h1 id="saga-title">
            <span className="mono">{saga.name}</span>
          </h1>
          <SagaStatusBadge status={saga.status} />
        </div>
        <SagaActions saga={saga} onAction={onAction} />
      </div>

      <dl className="meta-grid">
        <Meta label="Saga id" wide>
          <span className="mono break">{saga.id}</span> <CopyButton value={saga.id} label="Copy saga id" />
        </Meta>
        <Meta label="Idempotency key">{saga.idempotencyKey ? <span className="mono break">{saga.idempotencyKey}</span> : <span className="muted">none</span>}</Meta>
        <Meta label="Plan">{describePlan(saga)}</Meta>
        <Meta label="Current step">{saga.currentStep ? <span className="mono">{saga.currentStep}</span> : <span className="muted">none</span>}</Meta>
        <Meta label="Owner">
          {saga.lease.ownerId ? (
            <>
              <span className="mono break">{saga.lease.ownerId}</span>
              {saga.lease.expiresAt ? (
                <span className="muted small">
                  {' '}
                  lease until <RelativeTime iso={saga.lease.expiresAt} now={now} />
                </span>
              ) : null}
            </>
          ) : (
            <span className="muted">no instance holds it</span>
          )}
        </Meta>
        <Meta label="Started">
          <DateTime iso={saga.createdAt} />
        </Meta>
        <Meta label="Last update">
          <RelativeTime iso={saga.updatedAt} now={now} />
        </Meta>
        <Meta label={saga.finishedAt ? 'Finished' : 'Age'}>
          {saga.finishedAt ? (
            <>
              <DateTime iso={saga.finishedAt} /> <span className="muted small">after {formatDuration(runtime)}</span>
            </>
          ) : (
            formatDuration(runtime)
          )}
        </Meta>
        {saga.finishedAt ? null : (
          <Meta label="Deadline">{saga.deadlineAt ? <RelativeTime iso={saga.deadlineAt} now={now} /> : <span className="muted">none</span>}</Meta>
        )}
        {saga.compensationCause ? <Meta label="Compensation cause">{humanize(saga.compensationCause)}</Meta> : null}
        {saga.nextRunAt && !saga.finishedAt ? (
          <Meta label="Next run">
            <RelativeTime iso={saga.nextRunAt} now={now} />
          </Meta>
        ) : null}
      </dl>

      {saga.stuckSince ? (
        <div className="callout callout-warning" role="status">
          <strong>Stuck</strong> since <RelativeTime iso={saga.stuckSince} now={now} />:{' '}
          {saga.stuckReason ? `${STUCK_REASON_TEXT[saga.stuckReason]} (${saga.stuckReason}).` : 'no progress.'}
        </div>
      ) : null}
      {saga.pendingRequest ? (
        <div className="callout callout-info" role="status">
          <strong>{humanize(saga.pendingRequest.action)}</strong> requested
          {saga.pendingRequest.actor ? <> by {saga.pendingRequest.actor}</> : null} <RelativeTime iso={saga.pendingRequest.at} now={now} />
          {saga.pendingRequest.reason ? <> (“{saga.pendingRequest.reason}”)</> : null}: waiting for the instance running the saga to apply it.
        </div>
      ) : null}
      {saga.error ? (
        <div className="callout callout-danger">
          <strong>Error{saga.error.code ? ` ${saga.error.code}` : ''}:</strong> <span className="error-text-inline">{saga.error.message}</span>
        </div>
      ) : null}
      {saga.status === 'FAILED' ? (
        <p className="callout">
          A compensation gave up, so the engine stopped. Retry the failed compensations, or undo that step’s effects by hand and mark it as
          compensated (Resolve, in the steps below).
        </p>
      ) : null}
      {saga.status === 'PAUSED' ? <p className="callout">Nothing runs until an operator resumes, retries, cancels or compensates this saga.</p> : null}
    </section>
  );
}
