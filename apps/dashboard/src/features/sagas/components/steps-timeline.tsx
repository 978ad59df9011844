import { canResolveStep, type SagaDetail, type SagaStepView } from '@nest-saga/contracts';
import { useMemo } from 'react';
import { Badge } from '../../../components/badge';
import { Button } from '../../../components/button';
import { EmptyState } from '../../../components/states';
import { DateTime, RelativeTime } from '../../../components/time';
import { durationBetween, formatDuration, formatTimeMs } from '../../../lib/format';
import { useCanOperate } from '../../auth/session-context';
import { stepAttempts, type StepAttempt } from '../lib/step-attempts';
import { STEP_STATUS_STYLES, StepStatusBadge } from './status-badge';

const OUTCOME_TONE = { succeeded: 'success', failed: 'danger', 'timed out': 'danger', running: 'progress', interrupted: 'warning' } as const;

function Attempts({ attempts }: { attempts: StepAttempt[] }) {
  return (
    <table className="attempts">
      <caption className="visually-hidden">Attempts</caption>
      <thead>
        <tr>
          <th scope="col">Phase</th>
          <th scope="col">Attempt</th>
          <th scope="col">Started</th>
          <th scope="col">Took</th>
          <th scope="col">Outcome</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a, i) => (
          <tr key={i}>
            <td>{a.phase === 'execute' ? 'run' : 'compensate'}</td>
            <td>{a.attempt ?? '–'}</td>
            <td className="mono small">{formatTimeMs(a.startedAt)}</td>
            <td>{a.durationMs === null ? '–' : formatDuration(a.durationMs)}</td>
            <td>
              <Badge tone={OUTCOME_TONE[a.outcome]}>{a.outcome}</Badge>
              {a.error ? (
                <span className="error-text-inline small">
                  {' '}
                  {a.error.code ? `${a.error.code}: ` : ''}
                  {a.error.message}
                </span>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Compensation({ step, now }: { step: SagaStepView; now: number }) {
  const c = step.compensation;
  // Whether the step has a compensation at all is in its stats line; here only what happened.
  if (!step.hasCompensation || !c.status) return null;
  const took = durationBetween(c.startedAt, c.finishedAt);
  return (
    <p className="small">
      Compensation: <strong>{c.status}</strong>
      {c.attempts ? ` · ${c.attempts} attempt${c.attempts === 1 ? '' : 's'}` : ''}
      {took !== null ? ` · took ${formatDuration(took)}` : ''}
      {c.nextAttemptAt ? (
        <>
          {' '}
          · next attempt <RelativeTime iso={c.nextAttemptAt} now={now} />
        </>
      ) : null}
      {c.error ? (
        <span className="error-text-inline">
          {' '}
          · {c.error.code ? `${c.error.code}: ` : ''}
          {c.error.message}
        </span>
      ) : null}
    </p>
  );
}

export function StepsTimeline({ saga, now, onResolve }: { saga: SagaDetail; now: number; onResolve: (step: string) => void }) {
  const canOperate = useCanOperate();
  const attemptsByStep = useMemo(() => stepAttempts(saga.events), [saga.events]);
  if (saga.steps.length === 0) return <EmptyState title="This saga has no steps" />;
  return (
    <ol className="timeline" aria-label="Steps">
      {[...saga.steps]
        .sort((a, b) => a.index - b.index)
        .map((step) => {
          const attempts = attemptsByStep.get(step.name) ?? [];
          const took = durationBetween(step.startedAt, step.finishedAt);
          const isCurrent = saga.currentStep === step.name && !saga.finishedAt;
          return (
            <li key={step.name} className={`timeline-item tone-${STEP_STATUS_STYLES[step.status].tone}`} aria-label={`Step ${step.index + 1}: ${step.name}, ${step.status}`}>
              <span className="timeline-marker" aria-hidden="true">
                {step.index + 1}
              </span>
              <div className="timeline-body">
                <div className="step-head">
                  <h3 className="mono">{step.name}</h3>
                  <StepStatusBadge status={step.status} />
                  {isCurrent ? <Badge tone="info">current</Badge> : null}
                  {step.outcomeUnknown ? (
                    <Badge tone="warning" title="It timed out or was aborted: it may or may not have taken effect, so it is compensated if it can be">
                      outcome unknown
                    </Badge>
                  ) : null}
                  <span className="muted small step-stats">
                    {step.attempts} attempt{step.attempts === 1 ? '' : 's'}
                    {took !== null ? ` · took ${formatDuration(took)}` : ''}
                    {step.hasCompensation ? '' : ' · no compensation'}
                  </span>
                  {canOperate && canResolveStep(saga.status, step.status) ? (
                    <Button size="sm" variant="danger" className="step-action" onClick={() => onResolve(step.name)}>
                      Resolve…
                    </Button>
                  ) : null}
                </div>
                <p className="muted small">
                  {step.startedAt ? (
                    <>
                      Started <DateTime iso={step.startedAt} />
                    </>
                  ) : (
                    'Not started'
                  )}
                  {step.finishedAt ? (
                    <>
                      {' '}
                      · finished <DateTime iso={step.finishedAt} />
                    </>
                  ) : null}
                  {step.nextAttemptAt ? (
                    <>
                      {' '}
                      · next attempt <RelativeTime iso={step.nextAttemptAt} now={now} />
                    </>
                  ) : null}
                </p>
                {step.error ? (
                  <div className="step-error" role="note">
                    <strong>{step.error.code ?? step.error.name ?? 'Error'}</strong>
                    <span className="error-text-inline">{step.error.message}</span>
                  </div>
                ) : null}
                <Compensation step={step} now={now} />
                {attempts.length > 0 ? (
                  <details className="attempts-details" open={attempts.some((a) => a.outcome !== 'succeeded')}>
                    <summary>
                      {attempts.length} recorded attempt{attempts.length === 1 ? '' : 's'}
                    </summary>
                    <Attempts attempts={attempts} />
                  </details>
                ) : null}
              </div>
            </li>
          );
        })}
    </ol>
  );
}
