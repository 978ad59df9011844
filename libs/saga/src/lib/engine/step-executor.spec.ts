import { ROOT_CONTEXT } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { createStepContext } from './step-context.js';
import { AttemptAbort, AttemptControl, runAttempt } from './step-executor.js';

const message = () => 'did not finish';

function contextOf(control: AttemptControl) {
  return createStepContext(
    {
      sagaId: 's',
      sagaName: 'saga',
      stepName: 'step',
      stepIndex: 0,
      attempt: 1,
      idempotencyKey: 's:step',
      signal: () => control.signal,
      outputs: {},
      params: {},
      phase: 'execute',
    },
    ROOT_CONTEXT,
  );
}

describe('an attempt and its abort signal', () => {
  it('succeeds without the step ever reading its signal', async () => {
    const control = new AttemptControl();
    const outcome = await runAttempt(() => ({ done: true }), 60_000, control, message);
    expect(outcome).toMatchObject({ ok: true, output: { done: true } });
  });

  it('aborts a signal the step read once the attempt settles, so work it left running stops', async () => {
    const control = new AttemptControl();
    const ctx = contextOf(control);
    let seen: AbortSignal | undefined;
    await runAttempt(() => (seen = ctx.signal), 60_000, control, message);
    expect(seen?.aborted).toBe(true);
    expect((seen?.reason as AttemptAbort).reason).toBe('SETTLED');
    expect(ctx.signal).toBe(seen);
  });

  it('times out a step that never reads its signal, and a signal read afterwards is already aborted', async () => {
    const control = new AttemptControl();
    const outcome = await runAttempt(() => new Promise(() => undefined), 5, control, message);
    expect(outcome).toMatchObject({ ok: false, abortReason: 'TIMEOUT', outcomeUnknown: true, retryable: true, error: { code: 'STEP_TIMEOUT', message: 'did not finish' } });
    expect(control.signal.aborted).toBe(true);
    expect((control.signal.reason as AttemptAbort).reason).toBe('TIMEOUT');
  });

  it('settles at once on an abort while the step runs, and fires the signal the step holds', async () => {
    const control = new AttemptControl();
    const ctx = contextOf(control);
    let fired: unknown;
    const running = runAttempt(
      () =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => (fired = ctx.signal.reason), { once: true });
          // The step notices the abort and fails: the outcome is still the abort's.
          ctx.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true });
        }),
      60_000,
      control,
      message,
    );
    await Promise.resolve();
    await Promise.resolve();
    control.abort(new AttemptAbort('CANCEL', 'cancelled'));
    const outcome = await running;
    expect(outcome).toMatchObject({ ok: false, abortReason: 'CANCEL', retryable: false, error: { code: 'ABORTED', message: 'cancelled' } });
    expect((fired as AttemptAbort).reason).toBe('CANCEL');
  });

  it('settles on an abort even when the step ignores it', async () => {
    const control = new AttemptControl();
    control.abort(new AttemptAbort('LEASE_LOST', 'lost'));
    const outcome = await runAttempt(() => new Promise(() => undefined), 60_000, control, message);
    expect(outcome).toMatchObject({ ok: false, abortReason: 'LEASE_LOST', outcomeUnknown: true });
  });

  it('ignores aborts after the attempt settled', async () => {
    const control = new AttemptControl();
    await runAttempt(() => 1, 60_000, control, message);
    control.abort(new AttemptAbort('CANCEL', 'late'));
    expect(control.reason).toBeNull();
    expect((control.signal.reason as AttemptAbort).reason).toBe('SETTLED');
  });
});

describe('the step context of an attempt', () => {
  it('has its fields, signal and http as enumerable own properties, manager as a hidden one', () => {
    const ctx = contextOf(new AttemptControl());
    expect(Object.keys(ctx)).toEqual(['sagaId', 'sagaName', 'stepName', 'stepIndex', 'attempt', 'idempotencyKey', 'outputs', 'params', 'phase', 'signal', 'http']);
    expect(Object.getOwnPropertyDescriptor(ctx, 'manager')?.enumerable).toBe(false);
    expect(() => ctx.manager).toThrow(/exists only in transactional steps: register "step"/);
    const copy = { ...ctx };
    expect(copy.signal).toBe(ctx.signal);
    expect(copy.http).toBe(ctx.http);
  });

  it('keeps each context to itself', () => {
    const a = new AttemptControl();
    const b = new AttemptControl();
    const ca = contextOf(a);
    const cb = contextOf(b);
    a.abort(new AttemptAbort('CANCEL', 'a only'));
    expect(ca.signal.aborted).toBe(true);
    expect(cb.signal.aborted).toBe(false);
    expect(ca.http).not.toBe(cb.http);
  });
});
