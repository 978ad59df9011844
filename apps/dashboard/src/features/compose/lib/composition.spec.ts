import { describe, expect, it } from 'vitest';
import { makeStepDefinition } from '../../../testing/fixtures';
import { compositionProblems, parseParams, toPlanSteps, type DraftStep } from './composition';

const catalog = [
  makeStepDefinition('check-inventory'),
  makeStepDefinition('reserve-inventory'),
  makeStepDefinition('process-payment'),
  makeStepDefinition('create-shipment', { requires: ['reserve-inventory'] }),
];
const draft = (...steps: [string, string?][]): DraftStep[] => steps.map(([step, paramsText = ''], i) => ({ key: `k${i}`, step, paramsText }));

describe('composition drafts', () => {
  it('reads params as a JSON object, or none when empty', () => {
    expect(parseParams('')).toEqual({ ok: true, value: undefined });
    expect(parseParams('  {"carrier": "express"} ')).toEqual({ ok: true, value: { carrier: 'express' } });
    expect(parseParams('[1]')).toMatchObject({ ok: false, message: 'Params must be a JSON object, like {"key": "value"}.' });
    expect(parseParams('{"a":')).toMatchObject({ ok: false, message: expect.stringMatching(/^Params are not valid JSON/) });
  });

  it('says which step needs which earlier step, before anything is sent', () => {
    const problems = compositionProblems('ship', draft(['create-shipment'], ['reserve-inventory']), catalog, []);
    expect(problems).toEqual([
      expect.objectContaining({ index: 0, message: expect.stringContaining('Put "reserve-inventory" before "create-shipment"') }),
    ]);
  });

  it('reports params that are not a JSON object at their step, and a name taken by a registered saga', () => {
    const problems = compositionProblems('order', draft(['process-payment', '{ nope }']), catalog, ['order']);
    expect(problems.map((p) => [p.field, p.index])).toEqual([
      ['name', undefined],
      ['steps[0].params', 0],
    ]);
  });

  it('leaves the empty name and the empty plan to the submit, when asked', () => {
    expect(compositionProblems('', [], catalog, [], { whileEditing: true })).toEqual([]);
    expect(compositionProblems('', [], catalog, []).map((p) => p.field)).toEqual(['name', 'steps']);
  });

  it('turns a draft into the request steps, params only where given', () => {
    expect(toPlanSteps(draft(['reserve-inventory'], ['create-shipment', '{"carrier":"express"}']))).toEqual([
      { step: 'reserve-inventory' },
      { step: 'create-shipment', params: { carrier: 'express' } },
    ]);
  });
});
