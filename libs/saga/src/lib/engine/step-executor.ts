/**
 * Runs one attempt of `execute` or `compensate` under a time limit. The attempt's AbortSignal fires on
 * timeout or when the runner aborts it (cancel, lost lease, deadline); the attempt then settles at once
 * as failed even if the user's code ignores the signal (its outcome is then unknown).
 */
import type { ErrorView } from '@nest-saga/contracts';
import { NonRetryableStepError } from '../errors/saga.errors.js';

export type AttemptOutcome =
  | { ok: true; output: unknown; durationMs: number; startedAt: Date; finishedAt: Date }
  | {
      ok: false;
      error: ErrorView;
      /** The attempt may have had an effect that we cannot see (timeout, abort). */
      outcomeUnknown: boolean;
      retryable: boolean;
      /** Why the runner aborted it, when it did. */
      abortReason: string | null;
      durationMs: number;
      startedAt: Date;
      finishedAt: Date;
    };

export class AttemptAbort extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'AttemptAbort';
  }
}

export function toErrorView(error: unknown): ErrorView {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message || String(error), ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: typeof error === 'string' ? error : safeJson(error) };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Output must survive a JSON round trip to be stored; normalise it now so memory equals storage. */
export function toStoredJson(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value));
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
    const stored = toStoredJson(output);
    const finishedAt = new Date();
    return { ok: true, output: stored, durationMs: finishedAt.getTime() - startedAt.getTime(), startedAt, finishedAt };
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
