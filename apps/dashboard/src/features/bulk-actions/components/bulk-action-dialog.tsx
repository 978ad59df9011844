/**
 * Confirmation of a bulk action: the dry run first (how many sagas, by status, which are left alone,
 * which compensations run per definition, a sample), then a required reason, then the tracked
 * operation starts and the dialog hands its id back.
 */
import type { BulkActionPreview, SagaAction, SagaStatus } from '@nest-saga/contracts';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { ErrorMessage, Loading } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { pluralize, shortId } from '../../../lib/format';
import { SagaStatusBadge } from '../../sagas/components/status-badge';
import { useBulkPreview } from '../api/preview-bulk-action';
import { useStartBulkAction } from '../api/start-bulk-action';
import { BULK_ACTION_TEXT, describeFilters, toBulkFilter, type BulkScope } from '../lib/selection';

/** Bounds the API accepts for `ratePerSec`, and the library's default (`bulkActions.ratePerSec`). */
const BULK_RATE_MIN = 0.1;
const BULK_RATE_MAX = 1_000;
const BULK_DEFAULT_RATE = 50;

export interface BulkActionDialogProps {
  action: SagaAction;
  scope: BulkScope;
  onClose: () => void;
  /** Called with the new bulk action's id once the API accepted it. */
  onStarted: (id: string) => void;
}

function scopeText(scope: BulkScope): string {
  if (scope.kind === 'ids') return `The ${pluralize(scope.sagas.length, 'selected saga')}.`;
  const filters = describeFilters(scope.filters);
  return filters ? `Every saga matching ${filters}, on every page.` : 'Every saga (no filter is set), on every page.';
}

function StatusCounts({ counts, label }: { counts: Partial<Record<SagaStatus, number>>; label: string }) {
  const entries = Object.entries(counts).filter(([, n]) => n) as [SagaStatus, number][];
  if (!entries.length) return null;
  return (
    <ul className="bulk-status-counts" aria-label={label}>
      {entries.map(([status, n]) => (
        <li key={status}>
          <SagaStatusBadge status={status} /> <span className="strong">{n.toLocaleString()}</span>
        </li>
      ))}
    </ul>
  );
}

function DryRun({ preview, action }: { preview: BulkActionPreview; action: SagaAction }) {
  const text = BULK_ACTION_TEXT[action];
  const matching = preview.matched + preview.skipped;
  return (
    <section className="plan bulk-dry-run" aria-label="Dry run">
      <h3>Dry run</h3>
      <p role="status">
        <strong className="bulk-count">{pluralize(preview.matched, 'saga')}</strong> will be {text.past}
        {preview.skipped ? ` (of ${matching.toLocaleString()} matching)` : ''}.
      </p>
      <StatusCounts counts={preview.byStatus} label="Sagas to act on, by status" />
      {preview.skipped ? (
        <>
          <p className="muted small">
            {pluralize(preview.skipped, 'saga')} left alone: {preview.skipped === 1 ? 'its' : 'their'} status does not allow {text.verb}.
          </p>
          <StatusCounts counts={preview.skippedByStatus} label="Sagas left alone, by status" />
        </>
      ) : null}
      {preview.compensations.length ? (
        <div className="bulk-compensations">
          <h3>Compensations that will run</h3>
          {preview.compensations.map((definition) => (
            <div key={definition.name} className="bulk-definition">
              <p>
                <span className="mono strong">{definition.name}</span> <span className="muted small">({pluralize(definition.sagas, 'saga')})</span>
              </p>
              {definition.steps.length ? (
                <ol className="bulk-step-list" aria-label={`Compensations of ${definition.name}, in the order they run`}>
                  {definition.steps.map((s) => (
                    <li key={s.step}>
                      <span className="mono">{s.step}</span> <span className="muted small">on {pluralize(s.sagas, 'saga')}</span>
                    </li>
                  ))}
                </ol>
              ) : (
                <p className="muted small">None: no step of these sagas has a compensation left to run.</p>
              )}
              {definition.noCompensation.length ? (
                <p className="muted small">
                  Not undone (no compensation): {definition.noCompensation.map((s) => `${s.step} (${s.sagas.toLocaleString()})`).join(', ')}
                </p>
              ) : null}
            </div>
          ))}
        </div>
      ) : null}
      {preview.sample.length ? (
        <details className="bulk-sample" open={preview.sample.length <= 5}>
          <summary>
            {preview.sample.length < preview.matched ? `A sample: the newest ${preview.sample.length}` : `The ${pluralize(preview.sample.length, 'saga')}`}
          </summary>
          <Table caption="Sample of the sagas to act on" className="bulk-sample-table">
            <thead>
              <tr>
                <Th>Status</Th>
                <Th>Name</Th>
                <Th>Id</Th>
                <Th>Idempotency key</Th>
              </tr>
            </thead>
            <tbody>
              {preview.sample.map((saga) => (
                <tr key={saga.id}>
                  <Td>
                    <SagaStatusBadge status={saga.status} />
                  </Td>
                  <Td>{saga.name}</Td>
                  <Td>
                    <Link to={`/sagas/${encodeURIComponent(saga.id)}`} className="mono" title={saga.id} target="_blank" rel="noreferrer">
                      {shortId(saga.id)}
                    </Link>
                  </Td>
                  <Td className="mono truncate">{saga.idempotencyKey ?? <span className="muted">–</span>}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </details>
      ) : null}
    </section>
  );
}

export function BulkActionDialog({ action, scope, onClose, onStarted }: BulkActionDialogProps) {
  const id = useId();
  const text = BULK_ACTION_TEXT[action];
  const filter = useMemo(() => toBulkFilter(scope), [scope]);
  const preview = useBulkPreview(action, filter);
  const start = useStartBulkAction();
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [rate, setRate] = useState('');
  const [rateError, setRateError] = useState<string | null>(null);
  const matched = preview.data?.matched ?? 0;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = reason.trim();
    const ratePerSec = rate.trim() === '' ? undefined : Number(rate);
    const badRate = ratePerSec !== undefined && !(Number.isFinite(ratePerSec) && ratePerSec >= BULK_RATE_MIN && ratePerSec <= BULK_RATE_MAX);
    setReasonError(trimmed ? null : 'Give a reason: it is recorded in the history of every saga this touches.');
    setRateError(badRate ? `The rate is a number of sagas per second from ${BULK_RATE_MIN} to ${BULK_RATE_MAX}.` : null);
    if (!trimmed || badRate) return;
    start.mutate({ action, filter, reason: trimmed, ...(ratePerSec !== undefined ? { ratePerSec } : {}) }, { onSuccess: ({ id: bulkId }) => onStarted(bulkId) });
  };

  return (
    <Dialog
      open
      size="lg"
      title={`${text.verb.charAt(0).toUpperCase()}${text.verb.slice(1)} sagas in bulk`}
      onClose={onClose}
      locked={start.isPending}
      initialFocus="textarea"
      description={
        <>
          <p>{scopeText(scope)}</p>
          <p className="muted small">{text.effect}</p>
        </>
      }
      footer={
        <>
          <Button onClick={onClose} disabled={start.isPending}>
            Keep as is
          </Button>
          <Button type="submit" form={`${id}-form`} variant={text.variant} busy={start.isPending} disabled={!preview.isSuccess || matched === 0}>
            {preview.isSuccess ? `${text.verb.charAt(0).toUpperCase()}${text.verb.slice(1)} ${pluralize(matched, 'saga')}` : 'Confirm'}
          </Button>
        </>
      }
    >
      <form id={`${id}-form`} className="form" onSubmit={onSubmit} noValidate>
        {preview.isPending ? (
          <Loading label="Dry run: counting the sagas this would touch…" />
        ) : preview.isError ? (
          <div className="stack">
            <ErrorMessage error={preview.error} />
            <Button size="sm" onClick={() => void preview.refetch()}>
              Try the dry run again
            </Button>
          </div>
        ) : (
          <DryRun preview={preview.data} action={action} />
        )}
        {preview.isSuccess && matched === 0 ? (
          <p className="callout callout-warning" role="status">
            No saga here can be {text.past} now: nothing to do.
          </p>
        ) : null}
        <label htmlFor={`${id}-reason`}>
          Reason <span className="required">(required)</span>
        </label>
        <textarea
          id={`${id}-reason`}
          rows={3}
          value={reason}
          maxLength={1000}
          required
          aria-invalid={reasonError ? true : undefined}
          aria-describedby={reasonError ? `${id}-reason-error` : `${id}-reason-help`}
          onChange={(event) => {
            setReason(event.target.value);
            if (reasonError && event.target.value.trim()) setReasonError(null);
          }}
          placeholder="Why, for whoever looks at these sagas next"
        />
        {reasonError ? (
          <p id={`${id}-reason-error`} className="field-error" role="alert">
            {reasonError}
          </p>
        ) : (
          <p id={`${id}-reason-help`} className="help">
            Recorded in each saga’s history as “bulk &lt;id&gt;: your reason”. The sagas are fixed when you confirm; the count may differ a
            little from the dry run if some changed meanwhile.
          </p>
        )}
        <label htmlFor={`${id}-rate`}>
          Rate <span className="muted">(sagas per second; optional: empty is the app’s default, {BULK_DEFAULT_RATE} unless configured)</span>
        </label>
        <input
          id={`${id}-rate`}
          className="bulk-rate"
          inputMode="decimal"
          value={rate}
          placeholder="default"
          aria-invalid={rateError ? true : undefined}
          aria-describedby={rateError ? `${id}-rate-error` : undefined}
          onChange={(event) => {
            setRate(event.target.value);
            setRateError(null);
          }}
        />
        {rateError ? (
          <p id={`${id}-rate-error`} className="field-error" role="alert">
            {rateError}
          </p>
        ) : null}
        {start.isError ? <ErrorMessage error={start.error} /> : null}
      </form>
    </Dialog>
  );
}
