import { describe, expect, it } from 'vitest';
import { findPlanProblems, type PlanCatalogEntry } from './index.js';

const catalog: PlanCatalogEntry[] = [
  { name: 'check-inventory', requires: [] },
  { name: 'reserve-inventory', requires: [] },
  { name: 'process-payment', requires: [] },
  { name: 'create-shipment', requires: ['reserve-inventory'] },
];

const steps = (...names: string[]) => names.map((step) => ({ step }));

describe('findPlanProblems', () => {
  it('accepts registered steps, once each, with every requirement earlier in the plan', () => {
    expect(findPlanProblems({ name: 'express-order', steps: steps('reserve-inventory', 'process-payment', 'create-shipment') }, catalog)).toEqual([]);
  });

  it('refuses an empty name and an empty plan, naming the field', () => {
    expect(findPlanProblems({ name: '  ', steps: steps('process-payment') }, catalog)).toEqual([
      expect.objectContaining({ code: 'PLAN_NAME_INVALID', field: 'name', message: expect.stringMatching(/needs a name/) }),
    ]);
    expect(findPlanProblems({ name: 'x'.repeat(201), steps: steps('process-payment') }, catalog)[0]).toMatchObject({ code: 'PLAN_NAME_INVALID', field: 'name' });
    expect(findPlanProblems({ name: 'refund', steps: [] }, catalog)).toEqual([
      expect.objectContaining({ code: 'PLAN_EMPTY', field: 'steps', message: expect.stringMatching(/add at least one/) }),
    ]);
  });

  it('refuses a name that belongs to a registered saga', () => {
    expect(findPlanProblems({ name: 'order', steps: steps('process-payment') }, catalog, { definitions: ['order'] })[0]).toMatchObject({
      code: 'PLAN_NAME_INVALID',
      field: 'name',
      message: expect.stringMatching(/belongs to a registered saga.*another name/),
    });
  });

  it('names an unknown step and the registered ones', () => {
    const [problem] = findPlanProblems({ name: 'refund', steps: steps('process-payment', 'send-flowers') }, catalog);
    expect(problem).toMatchObject({ code: 'PLAN_STEP_NOT_REGISTERED', field: 'steps[1].step', step: 'send-flowers', index: 1 });
    expect(problem!.message).toContain('"send-flowers" (steps[1]), which is not registered');
    expect(problem!.message).toContain('@SagaStep(\'send-flowers\')');
  });

  it('refuses a step listed twice, pointing at the second one', () => {
    expect(findPlanProblems({ name: 'refund', steps: steps('process-payment', 'check-inventory', 'process-payment') }, catalog)).toEqual([
      expect.objectContaining({ code: 'PLAN_STEP_DUPLICATE', field: 'steps[2].step', message: expect.stringContaining('twice (steps[0] and steps[2])') }),
    ]);
  });

  it('refuses a step whose requirement is missing or comes later, and says where to put it', () => {
    const missing = findPlanProblems({ name: 'ship', steps: steps('create-shipment') }, catalog);
    expect(missing).toEqual([
      expect.objectContaining({ code: 'PLAN_REQUIREMENT_MISSING', field: 'steps[0].step', step: 'create-shipment', missing: 'reserve-inventory' }),
    ]);
    expect(missing[0]!.message).toContain('Put "reserve-inventory" before "create-shipment"');
    const later = findPlanProblems({ name: 'ship', steps: steps('create-shipment', 'reserve-inventory') }, catalog);
    expect(later.map((p) => p.code)).toEqual(['PLAN_REQUIREMENT_MISSING']);
  });

  it('reports every problem, in plan order', () => {
    const problems = findPlanProblems({ name: 'x', steps: steps('create-shipment', 'nope', 'create-shipment') }, catalog);
    expect(problems.map((p) => [p.code, p.field])).toEqual([
      ['PLAN_REQUIREMENT_MISSING', 'steps[0].step'],
      ['PLAN_STEP_NOT_REGISTERED', 'steps[1].step'],
      ['PLAN_STEP_DUPLICATE', 'steps[2].step'],
    ]);
  });

  it('refuses a step entry that has no name', () => {
    expect(findPlanProblems({ name: 'x', steps: [{ step: '' }] }, catalog)[0]).toMatchObject({ code: 'PLAN_STEP_NOT_REGISTERED', field: 'steps[0].step' });
  });
});
