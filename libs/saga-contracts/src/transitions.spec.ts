import { describe, expect, it } from 'vitest';
import { SAGA_STATUSES, SAGA_ACTIONS, SAGA_TRANSITIONS, allowedActions, canPerform, canResolveStep, canTransition } from './index.js';

describe('saga transition guards', () => {
  it('never lets a cancelled or compensated saga move again', () => {
    for (const to of SAGA_STATUSES) {
      if (to !== 'CANCELLED') expect(canTransition('CANCELLED', to)).toBe(false);
      if (to !== 'COMPENSATED') expect(canTransition('COMPENSATED', to)).toBe(false);
    }
  });

  it('allows compensating a completed saga but not cancelling it', () => {
    expect(allowedActions('COMPLETED')).toEqual(['compensate']);
  });

  it('allows only compensating again or retrying the failed compensations on a FAILED saga', () => {
    expect(allowedActions('FAILED')).toEqual(['compensate', 'retry']);
  });

  it('keeps every action guard consistent with the transition table', () => {
    const target = { cancel: 'COMPENSATING', compensate: 'COMPENSATING', retry: null, pause: 'PAUSED', resume: 'RUNNING' } as const;
    for (const status of SAGA_STATUSES) {
      for (const action of SAGA_ACTIONS) {
        const to = target[action];
        if (canPerform(action, status) && to) expect(SAGA_TRANSITIONS[status]).toContain(to);
      }
    }
  });

  it('resolves only a COMPENSATION_FAILED step of a FAILED saga', () => {
    expect(canResolveStep('FAILED', 'COMPENSATION_FAILED')).toBe(true);
    expect(canResolveStep('FAILED', 'COMPLETED')).toBe(false);
    expect(canResolveStep('COMPENSATING', 'COMPENSATION_FAILED')).toBe(false);
  });
});

describe('STEP_TRANSITIONS', () => {
  it('lets a step out of COMPENSATED or SKIPPED to nowhere, and never back to PENDING once done', async () => {
    const { STEP_STATUSES, STEP_TRANSITIONS, canTransitionStep } = await import('./index.js');
    for (const to of STEP_STATUSES) {
      if (to !== 'COMPENSATED') expect(canTransitionStep('COMPENSATED', to)).toBe(false);
      if (to !== 'SKIPPED') expect(canTransitionStep('SKIPPED', to)).toBe(false);
    }
    for (const from of ['COMPLETED', 'FAILED', 'COMPENSATING', 'COMPENSATION_FAILED'] as const) expect(STEP_TRANSITIONS[from]).not.toContain('PENDING');
    expect(canTransitionStep('PENDING', 'COMPLETED')).toBe(false);
  });
});
