/**
 * Runs one attempt of `execute` or `compensate` under a time limit. The attempt's AbortSignal fires on
 * timeout or when the runner aborts it (cancel, lost lease, deadline); the attempt then settles at once
 * as failed even if the user's code ignores the signal (its outcome is then unknown). The signal
 * itself is made only if the step reads it (`AttemptControl`).
 */
import type { ErrorView } from '@nest-saga/contracts';
import { SAGA_ERROR_CODES, replaceUnstorableText } from '@nest-saga/contracts';
import { NonRetryableStepError } from '../errors/saga.errors.js';
import { toStorableJson } from '../json/storable-json.js';
import type { AttemptOutcome } from '../machine/attempt-outcome.js';

export type { AttemptOutcome } from '../machine/attempt-outcome.js';

export class AttemptAbort extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'AttemptAbort';
  }
}

/**
 * How an attempt is aborted. Its AbortSignal (`ctx.signal`) is made the first time something reads
 * it, already aborted if the attempt was: most steps never read it, and an AbortController with its
 * signal, its listener and the abort at settle costs more than the rest of an attempt's own objects.
 * Once the attempt settles, a signal that was handed out is aborted (work the step left running
 * stops) and later aborts change nothing.
 */
export class AttemptControl {
  private controller: AbortController | null = null;
  private abortedWith: AttemptAbort | null = null;
  private settled = false;
  private listener: ((reason: AttemptAbort) => void) | null = null;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedWith) this.controller.abort(this.abortedWith);
      else if (this.settled) this.controller.abort(new AttemptAbort('SETTLED', 'attempt settled'));
    }
    return this.controller.signal;
  }

  /** Why the attempt was aborted, or null. */
  get reason(): AttemptAbort | null {
    return this.abortedWith;
  }

  abort(reason: AttemptAbort): void {
    if (this.abortedWith || this.settled) return;
    this.abortedWith = reason;
    this.controller?.abort(reason);
    const listener = this.listener;
    this.listener = null;
    listener?.(reason);
  }

  /** Calls `listener` once when the attempt is aborted (at once if it already is). One listener. */
  onAbort(listener: (reason: AttemptAbort) => void): void {
    if (this.abortedWith) listener(this.abortedWith);
    else this.listener = listener;
  }

  settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.listener = null;
    if (this.controller && !this.controller.signal.aborted) this.controller.abort(new AttemptAbort('SETTLED', 'attempt settled'));
  }
}

/**
 * Errors come from user code and libraries and are stored with the step: text PostgreSQL cannot store
 * is replaced, so that an error message can never make the checkpoint that records it unstorable.
 */
export function toErrorView(error: unknown): ErrorView {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: replaceUnstorableText(String(error.name)),
      message: replaceUnstorableText(error.message || String(error)),
      ...(typeof code === 'string' ? { code: replaceUnstorableText(code) } : {}),
    };
  }
  return { name: 'Error', message: replaceUnstorableText(typeof error === 'string' ? error : safeJson(error)) };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}


/**
 * A step that ran but whose output cannot be stored. Running it again would return the same output,
 * so it is not retried; its effects happened, so it is compensated like a step whose outcome is
 * unknown (its compensation gets no output).
 */
export function unstorableOutput(message: string, timing: { durationMs: number; startedAt: Date; finishedAt: Date }): AttemptOutcome {
  return {
    ok: false,
    error: { name: 'StepOutputUnstorable', code: SAGA_ERROR_CODES.STEP_OUTPUT_UNSTORABLE, message },
    outcomeUnknown: true,
    retryable: false,
    abortReason: null,
    ...timing,
  };
}

export async function runAttempt(
  fn: () => Promise<unknown> | unknown,
  timeoutMs: number,
  control: AttemptControl,
  onTimeoutMessage: () => string,
): Promise<AttemptOutcome> {
  const startedAt = new Date();
  const timer = setTimeout(() => control.abort(new AttemptAbort('TIMEOUT', onTimeoutMessage())), timeoutMs);
  try {
    // Settles with the step, or at the abort if that comes first (the step's code may run on).
    const output = await new Promise<unknown>((resolve, reject) => {
      control.onAbort(reject);
      Promise.resolve().then(fn).then(resolve, reject);
    });
    const stored = toStorableJson(output, 'output');
    const finishedAt = new Date();
    const durationMs = finishedAt.getTime() - startedAt.getTime();
    if (stored.ok) return { ok: true, output: stored.value, durationMs, startedAt, finishedAt };
    return unstorableOutput(`The step's output cannot be stored: ${stored.message}`, { durationMs, startedAt, finishedAt });
  } catch (error) {
    const finishedAt = new Date();
    const abort = control.reason;
    const view = abort ? { name: abort.name, message: abort.message, code: abort.reason === 'TIMEOUT' ? 'STEP_TIMEOUT' : 'ABORTED' } : toErrorView(error);
    return {
      ok: false,
      error: view,
      outcomeUnknown: abort !== null,
      retryable: abort ? abort.reason === 'TIMEOUT' : !(error instanceof NonRetryableStepError),
      abortReason: abort ? abort.reason : null,
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      startedAt,
      finishedAt,
    };
  } finally {
    clearTimeout(timer);
    control.settle();
  }
}
