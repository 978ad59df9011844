/**
 * Per-attempt timings of each step, read from the event history. Two shapes are understood: a
 * STEP_STARTED (or STEP_COMPENSATION_STARTED) paired with the next ending event of the same step and
 * attempt; or an ending event alone that carries `data.startedAt` / `data.durationMs` (what the
 * engine records today: one event per finished attempt).
 */
import type { ErrorView, SagaEventType, SagaEventView } from '@nest-saga/contracts';

export type AttemptPhase = 'execute' | 'compensate';
export type AttemptOutcome = 'succeeded' | 'failed' | 'timed out' | 'running' | 'interrupted';

export interface StepAttempt {
  phase: AttemptPhase;
  attempt: number | null;
  startedAt: string;
  endedAt: string | null;
  outcome: AttemptOutcome;
  durationMs: number | null;
  error: ErrorView | null;
}

const STARTS: Partial<Record<SagaEventType, AttemptPhase>> = {
  STEP_STARTED: 'execute',
  STEP_COMPENSATION_STARTED: 'compensate',
};

const ENDS: Partial<Record<SagaEventType, { phase: AttemptPhase; outcome: AttemptOutcome }>> = {
  STEP_SUCCEEDED: { phase: 'execute', outcome: 'succeeded' },
  STEP_FAILED: { phase: 'execute', outcome: 'failed' },
  STEP_TIMED_OUT: { phase: 'execute', outcome: 'timed out' },
  STEP_COMPENSATED: { phase: 'compensate', outcome: 'succeeded' },
  STEP_COMPENSATION_FAILED: { phase: 'compensate', outcome: 'failed' },
};

function dataString(event: SagaEventView, key: string): string | null {
  const value = event.data?.[key];
  return typeof value === 'string' ? value : null;
}

function dataNumber(event: SagaEventView, key: string): number | null {
  const value = event.data?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function stepAttempts(events: readonly SagaEventView[]): Map<string, StepAttempt[]> {
  const byStep = new Map<string, StepAttempt[]>();
  const add = (step: string, entry: StepAttempt) => {
    const list = byStep.get(step) ?? [];
    list.push(entry);
    byStep.set(step, list);
  };
  const ordered = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const open: { step: string; entry: StepAttempt }[] = [];

  for (const event of ordered) {
    if (!event.step) continue;
    const startPhase = STARTS[event.type];
    if (startPhase) {
      // A new start while an attempt is still open: the old one never reported back (its instance
      // died, or its lease was taken over).
      for (let i = open.length - 1; i >= 0; i--) {
        const o = open[i]!;
        if (o.step === event.step && o.entry.phase === startPhase) {
          o.entry.outcome = 'interrupted';
          open.splice(i, 1);
        }
      }
      const entry: StepAttempt = { phase: startPhase, attempt: event.attempt, startedAt: event.at, endedAt: null, outcome: 'running', durationMs: null, error: null };
      add(event.step, entry);
      open.push({ step: event.step, entry });
      continue;
    }

    const end = ENDS[event.type];
    if (!end) continue;
    const index = open.findIndex(
      (o) =>
        o.step === event.step &&
        o.entry.phase === end.phase &&
        (o.entry.attempt === null || event.attempt === null || o.entry.attempt === event.attempt),
    );
    let entry: StepAttempt;
    let startKnown = true;
    if (index === -1) {
      startKnown = dataString(event, 'startedAt') !== null;
      entry = {
        phase: end.phase,
        attempt: event.attempt,
        startedAt: dataString(event, 'startedAt') ?? event.at,
        endedAt: null,
        outcome: 'running',
        durationMs: null,
        error: null,
      };
      add(event.step, entry);
    } else {
      entry = open.splice(index, 1)[0]!.entry;
    }
    entry.endedAt = dataString(event, 'finishedAt') ?? event.at;
    entry.outcome = end.outcome;
    entry.error = event.error;
    const measured = Date.parse(entry.endedAt) - Date.parse(entry.startedAt);
    entry.durationMs = dataNumber(event, 'durationMs') ?? (startKnown && Number.isFinite(measured) && measured >= 0 ? measured : null);
  }
  return byStep;
}
