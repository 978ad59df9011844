/**
 * A saga being composed in the dashboard: steps picked from the catalog, each with params typed as
 * JSON. The plan rules are the engine's own (`findPlanProblems` from the contracts), so what the
 * form shows before submit is what the server would answer.
 */
import { findPlanProblems, type PlanStepRequest, type StepDefinitionView } from '@nest-saga/contracts';

export interface DraftStep {
  /** Stable React key (a step may be removed and added again). */
  key: string;
  step: string;
  paramsText: string;
}

export interface DraftProblem {
  field: string;
  message: string;
  /** The plan entry at fault, when it is one. */
  index?: number;
}

export function parseParams(text: string): { ok: true; value: Record<string, unknown> | undefined } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true, value: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Params are not valid JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, message: 'Params must be a JSON object, like {"key": "value"}.' };
  return { ok: true, value: value as Record<string, unknown> };
}

/**
 * Every problem of the draft, in plan order: the plan rules, then params that are not a JSON
 * object. `whileEditing` leaves out an empty name and an empty plan (not wrong yet, only unfinished).
 */
export function compositionProblems(
  name: string,
  draft: readonly DraftStep[],
  catalog: readonly StepDefinitionView[],
  definitions: readonly string[],
  options: { whileEditing?: boolean } = {},
): DraftProblem[] {
  const plan: DraftProblem[] = findPlanProblems({ name, steps: draft.map((d) => ({ step: d.step })) }, catalog, { definitions })
    .filter((p) => !options.whileEditing || !((p.code === 'PLAN_NAME_INVALID' && !name.trim()) || p.code === 'PLAN_EMPTY'))
    .map((p) => ({ field: p.field, message: p.message, ...(p.index !== undefined ? { index: p.index } : {}) }));
  const params: DraftProblem[] = [];
  draft.forEach((d, index) => {
    const parsed = parseParams(d.paramsText);
    if (!parsed.ok) params.push({ field: `steps[${index}].params`, index, message: `${d.step}: ${parsed.message}` });
  });
  return [...plan, ...params].sort((a, b) => (a.index ?? -1) - (b.index ?? -1));
}

export function toPlanSteps(draft: readonly DraftStep[]): PlanStepRequest[] {
  return draft.map((d) => {
    const parsed = parseParams(d.paramsText);
    return parsed.ok && parsed.value !== undefined ? { step: d.step, params: parsed.value } : { step: d.step };
  });
}
