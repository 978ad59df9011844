/**
 * Confirmation for every operator action: says what will happen (which compensations run, in which
 * order), asks for a reason (recorded in the history; required to resolve a step by hand), and
 * reports the server's answer in words, a refusal (409) included.
 */
import { canPerform, canResolveStep, type SagaAction, type SagaDetail } from '@nest-saga/contracts';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { Button, type ButtonVariant } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { ErrorMessage } from '../../../components/states';
import { useResolveStep } from '../api/resolve-step';
import { useSagaAction } from '../api/saga-action';
import { compensationPlan, type CompensationPlan } from '../lib/compensation-plan';
import { StepStatusBadge } from './status-badge';

export type PendingAction = { kind: 'saga'; action: SagaAction } | { kind: 'resolve'; step: string };

interface ActionText {
  title: string;
  confirm: string;
  variant: ButtonVariant;
  /** Past tense for the confirmation message. */
  done: string;
  /** Whether the dialog lists the compensations that will run. */
  showsPlan: boolean;
}

export const ACTION_TEXT = {
  cancel: { title: 'Cancel this saga?', confirm: 'Cancel saga', variant: 'danger', done: 'Cancel accepted', showsPlan: true },
  compensate: { title: 'Compensate this saga?', confirm: 'Compensate', variant: 'danger', done: 'Compensation accepted', showsPlan: true },
  retry: { title: 'Retry this saga?', confirm: 'Retry', variant: 'primary', done: 'Retry accepted', showsPlan: false },
  pause: { title: 'Pause this saga?', confirm: 'Pause', variant: 'secondary', done: 'Pause accepted', showsPlan: false },
  resume: { title: 'Resume this saga?', confirm: 'Resume', variant: 'primary', done: 'Resume accepted', showsPlan: false },
} as const satisfies Record<SagaAction, ActionText>;

export const ACTION_LABELS = {
  cancel: 'Cancel…',
  compensate: 'Compensate…',
  retry: 'Retry…',
  pause: 'Pause…',
  resume: 'Resume…',
} as const satisfies Record<SagaAction, string>;

function failedStepName(saga: SagaDetail): string | null {
  return saga.steps.find((s) => s.status === 'FAILED')?.name ?? saga.currentStep;
}

function explain(saga: SagaDetail, pending: PendingAction): ReactNode {
  if (pending.kind === 'resolve') {
    return (
      <>
        Do this only after you have undone the effects of <strong className="mono">{pending.step}</strong> by hand. The step is marked
        as compensated, the engine carries on with any compensation still due (below), and the saga ends COMPENSATED (or CANCELLED if it
        was being cancelled).
      </>
    );
  }
  switch (pending.action) {
    case 'cancel':
      return 'The saga stops going forward and undoes what it did: the compensations below run in reverse order. It ends CANCELLED, or FAILED if a compensation gives up.';
    case 'compensate':
      if (saga.status === 'FAILED') {
        return `A compensation gave up. Compensating again runs the compensations below in reverse order, the failed ones with fresh attempts; steps already compensated are not run again. It ends ${saga.compensationCause === 'CANCELLED' ? 'CANCELLED' : 'COMPENSATED'}, or FAILED again if a compensation gives up.`;
      }
      return saga.status === 'COMPLETED'
        ? 'This saga completed. Compensating it undoes its effects: the compensations below run in reverse order and it ends COMPENSATED, or FAILED if a compensation gives up.'
        : 'The saga stops going forward and undoes what it did: the compensations below run in reverse order. It ends COMPENSATED, or FAILED if a compensation gives up.';
    case 'retry':
      if (saga.status === 'FAILED') return 'The compensations that failed run again with fresh attempts, then any still due. Steps already compensated are not run again.';
      return (
        <>
          The saga runs forward again from <strong className="mono">{failedStepName(saga) ?? 'the step where it stopped'}</strong> with fresh
          attempts.
        </>
      );
    case 'pause':
      return 'A step that is running now finishes (or times out); no further step starts until an operator resumes, retries, cancels or compensates.';
    case 'resume':
      return (
        <>
          The saga continues from <strong className="mono">{saga.currentStep ?? 'where it stopped'}</strong>.
        </>
      );
  }
}

function PlanList({ plan }: { plan: CompensationPlan }) {
  return (
    <div className="plan">
      <h3>Compensations that will run</h3>
      {plan.willRun.length === 0 ? (
        <p className="muted">None: no completed step has a compensation left to run.</p>
      ) : (
        <ol className="plan-list">
          {plan.willRun.map((step) => (
            <li key={step.name}>
              <span className="mono strong">{step.name}</span> <StepStatusBadge status={step.status} />
              {step.outcomeUnknown ? <span className="muted small"> outcome unknown</span> : null}
            </li>
          ))}
        </ol>
      )}
      <StepNames label="Not undone (no compensation)" steps={plan.noCompensation} />
      <StepNames label="Already compensated" steps={plan.alreadyDone} />
    </div>
  );
}

export interface ActionDialogProps {
  saga: SagaDetail;
  pending: PendingAction;
  onClose: () => void;
  /** Called with the server's answer in words once the action is accepted. */
  onDone: (message: string) => void;
}

export function ActionDialog({ saga, pending, onClose, onDone }: ActionDialogProps) {
  const id = useId();
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string | null>(null);
  const sagaAction = useSagaAction();
  const resolve = useResolveStep();
  const mutation = pending.kind === 'saga' ? sagaAction : resolve;
  const reasonRequired = pending.kind === 'resolve';

  const step = pending.kind === 'resolve' ? saga.steps.find((s) => s.name === pending.step) : undefined;
  const allowed = pending.kind === 'saga' ? canPerform(pending.action, saga.status) : step ? canResolveStep(saga.status, step.status) : false;
  const showsPlan =
    pending.kind === 'resolve' || ACTION_TEXT[pending.action].showsPlan || (pending.action === 'retry' && saga.status === 'FAILED');
  const plan = showsPlan ? compensationPlan(saga.steps, pending.kind === 'resolve' ? { resolving: pending.step } : {}) : null;

  const title = pending.kind === 'resolve' ? `Mark “${pending.step}” as compensated?` : ACTION_TEXT[pending.action].title;
  const confirm = pending.kind === 'resolve' ? 'Mark as compensated' : ACTION_TEXT[pending.action].confirm;
  const variant: ButtonVariant = pending.kind === 'resolve' ? 'danger' : ACTION_TEXT[pending.action].variant;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = reason.trim();
    if (reasonRequired && !trimmed) {
      setReasonError('Give a reason: it is recorded in the saga’s history for whoever looks next.');
      return;
    }
    setReasonError(null);
    const onSuccess = (detail: SagaDetail) => {
      const done = pending.kind === 'resolve' ? `Step “${pending.step}” marked as compensated` : ACTION_TEXT[pending.action].done;
      const waiting = detail.pendingRequest ? ' The instance running it will apply the request shortly.' : '';
      onDone(`${done}. The saga is now ${detail.status}.${waiting}`);
    };
    if (pending.kind === 'resolve') resolve.mutate({ id: saga.id, step: pending.step, reason: trimmed }, { onSuccess });
    else sagaAction.mutate({ id: saga.id, action: pending.action, reason: trimmed || undefined }, { onSuccess });
  };

  return (
    <Dialog
      open
      title={title}
      onClose={onClose}
      locked={mutation.isPending}
      initialFocus="textarea"
      description={
        <>
          <p>{explain(saga, pending)}</p>
          <p className="muted small">
            Saga <span className="mono">{saga.name}</span> <span className="mono">{saga.id}</span>, now {saga.status}.
          </p>
        </>
      }
      footer={
        <>
          <Button onClick={onClose} disabled={mutation.isPending}>
            Keep as is
          </Button>
          <Button type="submit" form={`${id}-form`} variant={variant} busy={mutation.isPending} disabled={!allowed}>
            {confirm}
          </Button>
        </>
      }
    >
      <form id={`${id}-form`} className="form" onSubmit={onSubmit} noValidate>
        {plan ? <PlanList plan={plan} /> : null}
        <label htmlFor={`${id}-reason`}>
          Reason {reasonRequired ? <span className="required">(required)</span> : <span className="muted">(optional, recorded in the history)</span>}
        </label>
        <textarea
          id={`${id}-reason`}
          rows={3}
          value={reason}
          maxLength={1000}
          required={reasonRequired}
          aria-invalid={reasonError ? true : undefined}
          aria-describedby={reasonError ? `${id}-reason-error` : undefined}
          onChange={(event) => setReason(event.target.value)}
          placeholder={reasonRequired ? 'What was done by hand, and by whom' : 'Why, for whoever looks at this saga next'}
        />
        {reasonError ? (
          <p id={`${id}-reason-error`} className="field-error" role="alert">
            {reasonError}
          </p>
        ) : null}
        {!allowed && !mutation.isPending ? (
          <p className="callout callout-warning" role="status">
            The saga is now {saga.status}: this action is no longer allowed.
          </p>
        ) : null}
        {mutation.isError ? <ErrorMessage error={mutation.error} /> : null}
      </form>
    </Dialog>
  );
}

/** A labelled, comma-separated line of step names; nothing when there are none. */
function StepNames({ label, steps }: { label: string; steps: readonly { name: string }[] }) {
  if (!steps.length) return null;
  return (
    <p className="muted small">
      {label}:{' '}
      {steps.map((s, i) => (
        <span key={s.name}>
          {i ? ', ' : ''}
          <span className="mono">{s.name}</span>
        </span>
      ))}
    </p>
  );
}
