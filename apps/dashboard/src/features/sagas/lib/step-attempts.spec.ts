import { describe, expect, it } from 'vitest';
import { at, makeEvent } from '../../../testing/fixtures';
import { stepAttempts } from './step-attempts';

describe('step attempts from the history', () => {
  it('pairs each start with its end and measures it', () => {
    const attempts = stepAttempts([
      makeEvent({ type: 'STEP_STARTED', step: 'pay', attempt: 1, at: at(0) }),
      makeEvent({ type: 'STEP_TIMED_OUT', step: 'pay', attempt: 1, at: at(5_000), error: { message: 'timeout', code: 'STEP_TIMEOUT' } }),
      makeEvent({ type: 'STEP_STARTED', step: 'pay', attempt: 2, at: at(5_200) }),
      makeEvent({ type: 'STEP_SUCCEEDED', step: 'pay', attempt: 2, at: at(5_300) }),
      makeEvent({ type: 'STEP_COMPENSATION_STARTED', step: 'pay', attempt: 1, at: at(6_000) }),
      makeEvent({ type: 'STEP_COMPENSATED', step: 'pay', attempt: 1, at: at(6_040) }),
    ]).get('pay')!;
    expect(attempts.map((a) => [a.phase, a.attempt, a.outcome, a.durationMs])).toEqual([
      ['execute', 1, 'timed out', 5_000],
      ['execute', 2, 'succeeded', 100],
      ['compensate', 1, 'succeeded', 40],
    ]);
    expect(attempts[0]!.error?.code).toBe('STEP_TIMEOUT');
  });

  it('marks an attempt that never reported back as interrupted, and one still going as running', () => {
    const attempts = stepAttempts([
      makeEvent({ type: 'STEP_STARTED', step: 'ship', attempt: 1, at: at(0) }),
      makeEvent({ type: 'LEASE_TAKEN_OVER', at: at(10_000) }),
      makeEvent({ type: 'STEP_STARTED', step: 'ship', attempt: 2, at: at(10_100) }),
    ]).get('ship')!;
    expect(attempts.map((a) => a.outcome)).toEqual(['interrupted', 'running']);
  });
});

describe('step attempts recorded only when they end', () => {
  it('reads the start and duration the engine stores in the event data', () => {
    const attempts = stepAttempts([
      makeEvent({ type: 'STEP_FAILED', step: 'ship', attempt: 1, at: at(80), error: { message: 'down' }, data: { startedAt: at(0), durationMs: 80, finishedAt: at(80) } }),
      makeEvent({ type: 'STEP_RETRY_SCHEDULED', step: 'ship', attempt: 2, at: at(81), data: { delayMs: 86 } }),
      makeEvent({ type: 'STEP_SUCCEEDED', step: 'ship', attempt: 2, at: at(300), data: { startedAt: at(170), durationMs: 130 } }),
      makeEvent({ type: 'STEP_COMPENSATION_FAILED', step: 'ship', attempt: 1, at: at(500), error: { message: 'nope' } }),
    ]).get('ship')!;
    expect(attempts.map((a) => [a.phase, a.attempt, a.outcome, a.startedAt, a.durationMs])).toEqual([
      ['execute', 1, 'failed', at(0), 80],
      ['execute', 2, 'succeeded', at(170), 130],
      ['compensate', 1, 'failed', at(500), null],
    ]);
  });
});
