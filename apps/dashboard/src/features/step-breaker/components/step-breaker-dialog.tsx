/**
 * Pause a step on every instance (pick the step, say why), or resume a paused one (say why, and
 * optionally how many held sagas to release per second). Reports the server's answer in words.
 */
import type { StepPauseView } from '@nest-saga/contracts';
import { useId, useState, type FormEvent } from 'react';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { ErrorMessage } from '../../../components/states';
import { pluralize } from '../../../lib/format';
import { useSagaSteps } from '../../compose/api/get-saga-steps';
import { usePauseStep, useResumeStep } from '../api/step-breaker-actions';

export type StepBreakerDialogMode = { mode: 'pause'; step?: string } | { mode: 'resume'; pause: StepPauseView };

export interface StepBreakerDialogProps {
  request: StepBreakerDialogMode;
  /** Steps already paused (not offered again). */
  paused: readonly string[];
  onClose: () => void;
  onDone: (message: string) => void;
}

const MIN_RATE = 0.1;
const MAX_RATE = 1000;

export function StepBreakerDialog({ request, paused, onClose, onDone }: StepBreakerDialogProps) {
  const id = useId();
  const steps = useSagaSteps();
  const pause = usePauseStep();
  const resume = useResumeStep();
  const mutation = request.mode === 'pause' ? pause : resume;
  const [step, setStep] = useState(request.mode === 'pause' ? (request.step ?? '') : request.pause.step);
  const [reason, setReason] = useState('');
  const [rate, setRate] = useState('');
  const [errors, setErrors] = useState<{ step?: string; reason?: string; rate?: string }>({});

  const choices = (steps.data ?? []).map((s) => s.name).filter((name) => !paused.includes(name) || name === step);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (request.mode === 'pause' && !step) found.step = 'Choose the step to pause.';
    if (!reason.trim()) found.reason = 'Give a reason: it is recorded in the history of every saga it holds or releases.';
    let ratePerSec: number | undefined;
    if (request.mode === 'resume' && rate.trim()) {
      ratePerSec = Number(rate);
      if (!Number.isFinite(ratePerSec) || ratePerSec < MIN_RATE || ratePerSec > MAX_RATE) found.rate = `A number from ${MIN_RATE} to ${MAX_RATE}, or empty to release every held saga at once.`;
    }
    setErrors(found);
    if (Object.keys(found).length) return;
    if (request.mode === 'pause') {
      pause.mutate(
        { step, reason: reason.trim() },
        { onSuccess: (view) => onDone(`Step “${view.step}” is paused. Sagas about to run it wait PAUSED on every instance.`) },
      );
    } else {
      resume.mutate(
        { step, reason: reason.trim(), ...(ratePerSec === undefined ? {} : { ratePerSec }) },
        {
          onSuccess: (view) =>
            onDone(
              `Step “${view.step}” resumed. ${view.waiting ? `${pluralize(view.waiting, 'held saga')} ${ratePerSec ? `released at ${ratePerSec} per second` : 'released at once'}.` : 'No saga was waiting.'}`,
            ),
        },
      );
    }
  };

  const serverField = (mutation.error as { field?: string } | null)?.field;
  const title = request.mode === 'pause' ? 'Pause a step everywhere?' : `Resume “${request.pause.step}”?`;
  return (
    <Dialog
      open
      title={title}
      onClose={onClose}
      locked={mutation.isPending}
      initialFocus={request.mode === 'pause' && !request.step ? 'select' : 'textarea'}
      description={
        request.mode === 'pause' ? (
          <p>
            On every instance, a saga about to run the step waits as PAUSED (reason STEP_PAUSED) with no attempt used. Attempts already running
            finish. Compensations of the step still run.
          </p>
        ) : (
          <p>
            New sagas run the step at once. The {pluralize(request.pause.waiting, 'saga')} held at it continue at the rate you give, counted over
            every instance; sagas an operator paused stay paused.
          </p>
        )
      }
      footer={
        <>
          <Button onClick={onClose} disabled={mutation.isPending}>
            Keep as is
          </Button>
          <Button type="submit" form={`${id}-form`} variant={request.mode === 'pause' ? 'danger' : 'primary'} busy={mutation.isPending}>
            {request.mode === 'pause' ? 'Pause step' : 'Resume step'}
          </Button>
        </>
      }
    >
      <form id={`${id}-form`} className="form" onSubmit={onSubmit} noValidate>
        {request.mode === 'pause' ? (
          <>
            <label htmlFor={`${id}-step`}>Step</label>
            <select
              id={`${id}-step`}
              value={step}
              onChange={(event) => setStep(event.target.value)}
              aria-invalid={errors.step || serverField === 'step' ? true : undefined}
              disabled={steps.isPending}
            >
              <option value="">{steps.isPending ? 'Loading steps…' : 'Choose a step'}</option>
              {choices.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
            {errors.step ? (
              <p className="field-error" role="alert">
                {errors.step}
              </p>
            ) : null}
          </>
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
          aria-invalid={errors.reason ? true : undefined}
          onChange={(event) => setReason(event.target.value)}
          placeholder={request.mode === 'pause' ? 'What is wrong with it, for whoever looks next' : 'Why it may run again'}
        />
        {errors.reason ? (
          <p className="field-error" role="alert">
            {errors.reason}
          </p>
        ) : null}
        {request.mode === 'resume' ? (
          <>
            <label htmlFor={`${id}-rate`}>
              Sagas released per second <span className="muted">(optional; empty releases them all at once)</span>
            </label>
            <input
              id={`${id}-rate`}
              type="number"
              inputMode="decimal"
              min={MIN_RATE}
              max={MAX_RATE}
              step="any"
              value={rate}
              aria-invalid={errors.rate ? true : undefined}
              onChange={(event) => setRate(event.target.value)}
            />
            {errors.rate ? (
              <p className="field-error" role="alert">
                {errors.rate}
              </p>
            ) : null}
          </>
        ) : null}
        {mutation.isError ? <ErrorMessage error={mutation.error} /> : null}
      </form>
    </Dialog>
  );
}
