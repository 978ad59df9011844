/**
 * The step circuit breaker's panel: every paused step with its reason, who paused it and since
 * when, and the sagas waiting at it; operators pause a step and resume one (with a ramp).
 */
import type { StepPauseView } from '@nest-saga/contracts';
import { useState } from 'react';
import { Badge } from '../../../components/badge';
import { Button, ButtonLink } from '../../../components/button';
import { ErrorState, Loading } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { RelativeTime } from '../../../components/time';
import { pluralize } from '../../../lib/format';
import { useNow } from '../../../lib/use-now';
import { useCanOperate } from '../../auth/session-context';
import { sagaListHref } from '../../sagas/api/search-params';
import { usePausedSteps } from '../api/get-paused-steps';
import { StepBreakerDialog, type StepBreakerDialogMode } from './step-breaker-dialog';

function State({ pause }: { pause: StepPauseView }) {
  if (pause.status === 'PAUSED') return <Badge tone="warning">PAUSED</Badge>;
  return (
    <span>
      <Badge tone="info">RESUMING</Badge>{' '}
      <span className="muted small">
        {pause.ratePerSec ? `${pause.ratePerSec}/s` : 'all at once'} · {pause.released} released
      </span>
    </span>
  );
}

export function PausedStepsPanel() {
  const paused = usePausedSteps();
  const canOperate = useCanOperate();
  const now = useNow();
  const [dialog, setDialog] = useState<StepBreakerDialogMode | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const titleId = 'paused-steps-title';
  const list = paused.data ?? [];

  return (
    <section className="card" aria-labelledby={titleId}>
      <header className="card-header">
        <div>
          <h2 id={titleId}>Paused steps</h2>
          <p className="muted small">
            Circuit breaker: on every instance, sagas about to run a paused step wait as PAUSED (reason STEP_PAUSED) with no attempt used.
          </p>
        </div>
        {canOperate ? (
          <div className="card-actions">
            <Button size="sm" variant="danger" onClick={() => setDialog({ mode: 'pause' })}>
              Pause a step…
            </Button>
          </div>
        ) : null}
      </header>
      {message ? (
        <p className="callout callout-success notice" role="status">
          <span>{message}</span>
          <Button size="sm" variant="ghost" onClick={() => setMessage(null)}>
            Dismiss
          </Button>
        </p>
      ) : null}
      {paused.isPending ? (
        <Loading label="Loading paused steps…" />
      ) : paused.isError ? (
        <ErrorState error={paused.error} title="Could not load the paused steps" onRetry={() => void paused.refetch()} />
      ) : list.length === 0 ? (
        <p className="muted">No step is paused: every step runs.</p>
      ) : (
        <Table caption="Paused steps">
          <thead>
            <tr>
              <Th>Step</Th>
              <Th>State</Th>
              <Th>Reason</Th>
              <Th>Paused by</Th>
              <Th>Since</Th>
              <Th>Waiting</Th>
              {canOperate ? <Th>Actions</Th> : null}
            </tr>
          </thead>
          <tbody>
            {list.map((pause) => (
              <tr key={pause.step} aria-label={`Paused step ${pause.step}`}>
                <Td className="mono strong">{pause.step}</Td>
                <Td>
                  <State pause={pause} />
                </Td>
                <Td>{pause.status === 'RESUMING' && pause.resumeReason ? `${pause.reason} (resumed: ${pause.resumeReason})` : pause.reason}</Td>
                <Td>{pause.status === 'RESUMING' && pause.resumedBy ? `${pause.pausedBy}, resumed by ${pause.resumedBy}` : pause.pausedBy}</Td>
                <Td>
                  <RelativeTime iso={pause.pausedAt} now={now} />
                </Td>
                <Td>
                  <span aria-label={`${pluralize(pause.waiting, 'saga')} waiting`}>{pluralize(pause.waiting, 'saga')}</span>
                  {pause.waiting > 0 ? (
                    <>
                      {' '}
                      <ButtonLink size="sm" variant="ghost" to={sagaListHref({ status: ['PAUSED'] })}>
                        View
                      </ButtonLink>
                    </>
                  ) : null}
                </Td>
                {canOperate ? (
                  <Td>
                    {pause.status === 'PAUSED' ? (
                      <Button size="sm" variant="primary" onClick={() => setDialog({ mode: 'resume', pause })} aria-label={`Resume ${pause.step}…`}>
                        Resume…
                      </Button>
                    ) : (
                      <Button size="sm" onClick={() => setDialog({ mode: 'pause', step: pause.step })} aria-label={`Pause ${pause.step} again…`}>
                        Pause again…
                      </Button>
                    )}
                  </Td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {dialog ? (
        <StepBreakerDialog
          request={dialog}
          paused={list.filter((p) => p.status === 'PAUSED').map((p) => p.step)}
          onClose={() => setDialog(null)}
          onDone={(text) => {
            setDialog(null);
            setMessage(text);
          }}
        />
      ) : null}
    </section>
  );
}
