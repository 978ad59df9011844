import { describe, expect, it } from 'vitest';
import { makeDetail, makeFailedDetail } from '../../../testing/fixtures';
import { compensationPlan } from './compensation-plan';

describe('compensation plan', () => {
  it('runs the compensations of completed steps in reverse order and names the steps without one', () => {
    const saga = makeDetail({ status: 'COMPLETED' }, {
      'check-inventory': { status: 'COMPLETED' },
      'reserve-inventory': { status: 'COMPLETED' },
      'process-payment': { status: 'COMPLETED' },
      'create-shipment': { status: 'COMPLETED' },
    });
    const plan = compensationPlan(saga.steps);
    expect(plan.willRun.map((s) => s.name)).toEqual(['create-shipment', 'process-payment', 'reserve-inventory']);
    expect(plan.noCompensation.map((s) => s.name)).toEqual(['check-inventory']);
  });

  it('includes a step whose outcome is unknown and leaves out a step that failed cleanly or never ran', () => {
    const saga = makeDetail({}, {
      'check-inventory': { status: 'COMPLETED' },
      'reserve-inventory': { status: 'COMPLETED' },
      'process-payment': { status: 'FAILED', outcomeUnknown: true },
      'create-shipment': { status: 'PENDING' },
    });
    expect(compensationPlan(saga.steps).willRun.map((s) => s.name)).toEqual(['process-payment', 'reserve-inventory']);
    const clean = makeDetail({}, { 'reserve-inventory': { status: 'COMPLETED' }, 'process-payment': { status: 'FAILED' } });
    expect(compensationPlan(clean.steps).willRun.map((s) => s.name)).toEqual(['reserve-inventory']);
  });

  it('skips what is already compensated and, when resolving, the step being resolved', () => {
    const saga = makeFailedDetail();
    const retry = compensationPlan(saga.steps);
    expect(retry.willRun.map((s) => s.name)).toEqual(['reserve-inventory']);
    expect(retry.alreadyDone.map((s) => s.name)).toEqual(['process-payment']);
    expect(compensationPlan(saga.steps, { resolving: 'reserve-inventory' }).willRun).toEqual([]);
  });
});
