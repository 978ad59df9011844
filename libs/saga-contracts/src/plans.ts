/**
 * The rules a saga composed at run time must follow, as one pure function: the engine throws the
 * first problem as a typed error when a saga starts, and the dashboard shows them all while an
 * operator composes one, before anything is sent.
 */
import type { SagaErrorCode } from './dto.js';

/** Longest saga name the store keeps (its column is varchar(200)). */
export const MAX_SAGA_NAME_LENGTH = 200;

/** One entry of a composition: a registered step by name, with the params its context carries. */
export interface PlanStepRequest {
  step: string;
  /** Handed to the step as `ctx.params` in `execute` and `compensate`. A JSON object. */
  params?: Record<string, unknown>;
}

/** What the checks need to know of a registered step. */
export interface PlanCatalogEntry {
  name: string;
  /** Steps whose outputs this step reads: they must come earlier in the plan. */
  requires: readonly string[];
}

export type PlanProblemCode = Extract<
  SagaErrorCode,
  'PLAN_NAME_INVALID' | 'PLAN_EMPTY' | 'PLAN_STEP_NOT_REGISTERED' | 'PLAN_STEP_DUPLICATE' | 'PLAN_REQUIREMENT_MISSING'
>;

export interface PlanProblem {
  code: PlanProblemCode;
  /** The field at fault: `name`, `steps`, `steps[2].step`. */
  field: string;
  /** Says what is wrong and what to do. */
  message: string;
  /** The step at fault and its position, for step problems. */
  step?: string;
  index?: number;
  /** For `PLAN_REQUIREMENT_MISSING`: the step that must come earlier. */
  missing?: string;
}

export interface FindPlanProblemsOptions {
  /** Names of registered sagas: a composition may not take one (its sagas would mix with theirs). */
  definitions?: readonly string[];
}

const quote = (names: readonly string[]) => (names.length ? names.map((n) => `"${n}"`).join(', ') : 'none');

/**
 * Every problem of a composition, in plan order: an empty or taken name, no steps, a step that is
 * not registered, a step listed twice, a step whose `requires` are not earlier in the plan.
 * An empty list means the plan can start.
 */
export function findPlanProblems(
  plan: { name: unknown; steps: readonly { step: unknown }[] },
  catalog: readonly PlanCatalogEntry[],
  options: FindPlanProblemsOptions = {},
): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const name = typeof plan.name === 'string' ? plan.name.trim() : '';
  const label = name ? `Saga "${name}"` : 'The saga';
  if (!name) {
    problems.push({ code: 'PLAN_NAME_INVALID', field: 'name', message: 'The saga needs a name: give the composition a non-empty name (it is stored with each saga and shown in lists).' });
  } else if (name.length > MAX_SAGA_NAME_LENGTH) {
    problems.push({ code: 'PLAN_NAME_INVALID', field: 'name', message: `The saga name is ${name.length} characters long; use at most ${MAX_SAGA_NAME_LENGTH}.` });
  } else if (options.definitions?.includes(name)) {
    problems.push({
      code: 'PLAN_NAME_INVALID',
      field: 'name',
      message: `"${name}" belongs to a registered saga. Start that saga by its name, or give this composition another name.`,
    });
  }
  if (plan.steps.length === 0) {
    problems.push({ code: 'PLAN_EMPTY', field: 'steps', message: `${label} has no steps: add at least one registered step.` });
    return problems;
  }
  const registered = new Map(catalog.map((entry) => [entry.name, entry]));
  const firstIndex = new Map<string, number>();
  plan.steps.forEach((entry, index) => {
    const step = typeof entry.step === 'string' ? entry.step : '';
    const field = `steps[${index}].step`;
    const known = registered.get(step);
    if (!known) {
      problems.push({
        code: 'PLAN_STEP_NOT_REGISTERED',
        field,
        step,
        index,
        message: step
          ? `${label} lists step "${step}" (steps[${index}]), which is not registered in this app. Use a registered step (${quote([...registered.keys()])}) or register a @SagaStep('${step}') provider.`
          : `${label}: steps[${index}] names no step. Give each entry the name of a registered step.`,
      });
      return;
    }
    const first = firstIndex.get(step);
    if (first !== undefined) {
      problems.push({
        code: 'PLAN_STEP_DUPLICATE',
        field,
        step,
        index,
        message: `${label} lists step "${step}" twice (steps[${first}] and steps[${index}]). A step may appear once per saga (its output and idempotency key are keyed by its name): remove one.`,
      });
      return;
    }
    firstIndex.set(step, index);
    for (const required of known.requires) {
      if (firstIndex.has(required)) continue;
      problems.push({
        code: 'PLAN_REQUIREMENT_MISSING',
        field,
        step,
        index,
        missing: required,
        message: `Step "${step}" (steps[${index}]) of ${name ? `saga "${name}"` : 'the saga'} reads the output of "${required}", which is not earlier in the plan. Put "${required}" before "${step}".`,
      });
    }
  });
  return problems;
}
