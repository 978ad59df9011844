/**
 * Runs one attempt of `execute` or `compensate` under a time limit. The attempt's AbortSignal fires on
 * timeout or when the runner aborts it (cancel, lost lease, deadline); the attempt then settles at once
 * as failed even if the user's code ignores the signal (its outcome is then unknown).
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
  fn: (signal: AbortSignal) => Promise<unknown> | unknown,
  timeoutMs: number,
  controller: AbortController,
  onTimeoutMessage: () => string,
): Promise<AttemptOutcome> {
  const startedAt = new Date();
  let timer: NodeJS.Timeout | undefined;
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(controller.signal.reason);
    if (controller.signal.aborted) onAbort();
    else controller.signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  timer = setTimeout(() => controller.abort(new AttemptAbort('TIMEOUT', onTimeoutMessage())), timeoutMs);
  try {
    const output = await Promise.race([Promise.resolve().then(() => fn(controller.signal)), aborted]);
    const stored = toStorableJson(output, 'output');
    const finishedAt = new Date();
    const durationMs = finishedAt.getTime() - startedAt.getTime();
    if (stored.ok) return { ok: true, output: stored.value, durationMs, startedAt, finishedAt };
    return unstorableOutput(`The step's output cannot be stored: ${stored.message}`, { durationMs, startedAt, finishedAt });
  } catch (error) {
    const finishedAt = new Date();
    const abort = controller.signal.aborted && controller.signal.reason instanceof AttemptAbort ? controller.signal.reason : null;
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
    if (!controller.signal.aborted) controller.abort(new AttemptAbort('SETTLED', 'attempt settled'));
  }
}
