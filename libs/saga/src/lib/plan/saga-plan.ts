/**
 * Plans: what a saga runs, fixed when it starts and stored in its row. Invariants: a stored plan is
 * never rewritten (the deployed definition is only the template new sagas copy); a saga runs only
 * where every step its plan names is registered; a saga stored before plans gets a plan derived from
 * its stored step names when it is read, never written back.
 */
import type { DeadlinePolicy, PlanStepRequest, SagaPlanStepView, SagaPlanView, StepFailurePolicy } from '@nest-saga/contracts';
import { DEADLINE_POLICIES, MAX_JSON_DEPTH, findPlanProblems, findUnstorableText } from '@nest-saga/contracts';
import type { RegisteredStep } from './registered.js';
import {
  DuplicatePlanStepError,
  EmptyPlanError,
  InvalidPlanNameError,
  MissingStepRequirementError,
  PlanStepNotRegisteredError,
  SagaValidationError,
  type SagaPlanError,
} from '../errors/saga.errors.js';
import type { ResolvedRetryPolicy } from '../interfaces/retry-policy.interface.js';
import type { SagaComposition } from '../interfaces/saga-plan.interface.js';
import type { SagaStepHandler } from '../interfaces/step.interface.js';
import { sameJson } from '../json/canonical-json.js';
import { toRetryPolicyView } from '../retry/retry-policy.js';
import { toStorableJson } from '../json/storable-json.js';

/** What a stored saga gives to find its plan: the plan stored with it, or (stored before plans) its steps. */
export interface StoredSagaPlanSource {
  name: string;
  version: number;
  plan: SagaPlan | null;
  steps: readonly { name: string }[];
}

/** A plan as stored in a saga's row. */
export type SagaPlan = SagaPlanView & { origin: 'definition' | 'composed' };

/** One step of a plan bound to this instance's handler. */
export interface ExecutableStep {
  name: string;
  params: Readonly<Record<string, unknown>>;
  handler: SagaStepHandler<unknown, unknown>;
  hasCompensation: boolean;
  timeoutMs: number;
  retry: ResolvedRetryPolicy;
  compensationTimeoutMs: number;
  compensationRetry: ResolvedRetryPolicy;
  onFailure: StepFailurePolicy;
  /** A property of the step's code (not of the stored plan): runs in a transaction with its checkpoint. */
  transactional: boolean;
  /** A property of the step's code: it acts on nothing outside the process (`effects: 'none'`). */
  noEffects: boolean;
}

/** What a runner executes: the saga's plan with the handlers of this instance. */
export interface ExecutablePlan {
  name: string;
  version: number;
  timeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
  steps: ExecutableStep[];
}

/** Saga-level settings of a composition that sets none. */
export interface PlanDefaults {
  timeoutMs: number | null;
  deadlinePolicy: DeadlinePolicy;
}

/** The registered steps and sagas of this instance, as plans need them. */
export interface PlanLookup {
  findStep(name: string): RegisteredStep | undefined;
  allSteps(): RegisteredStep[];
  find(name: string): { timeoutMs: number | null; deadlinePolicy: DeadlinePolicy } | undefined;
}

const EMPTY_PARAMS: Readonly<Record<string, unknown>> = Object.freeze({});

export function planStepOf(step: RegisteredStep, params: Record<string, unknown> = {}): SagaPlanStepView {
  return {
    step: step.name,
    params,
    timeoutMs: step.timeoutMs,
    retry: toRetryPolicyView(step.retry),
    compensationTimeoutMs: step.compensationTimeoutMs,
    compensationRetry: toRetryPolicyView(step.compensationRetry),
    onFailure: step.onFailure,
  };
}

/** The plan every saga of a registered definition starts with. */
export function definitionPlan(saga: { name: string; version: number; timeoutMs: number | null; deadlinePolicy: DeadlinePolicy; steps: readonly RegisteredStep[] }): SagaPlan {
  return {
    name: saga.name,
    version: saga.version,
    origin: 'definition',
    timeoutMs: saga.timeoutMs,
    deadlinePolicy: saga.deadlinePolicy,
    steps: saga.steps.map((s) => planStepOf(s)),
  };
}

/**
 * Checks a composition against the registered steps and returns its plan; throws the typed error of
 * the first problem (`PLAN_*` codes, or `VALIDATION_FAILED` naming the field for malformed params or
 * options). `reservedNames`: names a composition may not take (the registered sagas').
 */
export function composePlan(
  composition: SagaComposition,
  lookup: PlanLookup,
  defaults: PlanDefaults,
  options: { origin?: SagaPlan['origin']; reservedNames?: readonly string[] } = {},
): SagaPlan {
  if (composition === null || typeof composition !== 'object') {
    throw new SagaValidationError('A composition is an object: { name, steps: [{ step, params? }] }.', 'steps');
  }
  const entries: unknown = composition.steps;
  if (!Array.isArray(entries)) throw new SagaValidationError('steps must be an array of { step, params? } in execution order.', 'steps');
  entries.forEach((entry, index) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new SagaValidationError(`steps[${index}] must be an object { step, params? }.`, `steps[${index}]`);
    }
  });
  const steps = entries as PlanStepRequest[];
  const name = typeof composition.name === 'string' ? composition.name.trim() : '';
  const problems = findPlanProblems({ name, steps }, lookup.allSteps(), { definitions: options.reservedNames });
  if (problems.length) throw planError(problems[0]!, name);
  const nameProblem = findUnstorableText(name, 'name');
  if (nameProblem) throw new SagaValidationError(nameProblem.message, 'name', { sagaName: name });

  const where = { sagaName: name };
  const { timeoutMs, deadlinePolicy, version } = composition;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new SagaValidationError(`timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)}).`, 'timeoutMs', where);
  }
  if (deadlinePolicy !== undefined && !DEADLINE_POLICIES.includes(deadlinePolicy)) {
    throw new SagaValidationError(`deadlinePolicy must be one of ${DEADLINE_POLICIES.join(', ')} (got ${String(deadlinePolicy)}).`, 'deadlinePolicy', where);
  }
  if (version !== undefined && !(Number.isInteger(version) && version >= 1 && version <= 2_147_483_647)) {
    throw new SagaValidationError(`version must be a positive integer (got ${String(version)}).`, 'version', where);
  }
  return {
    name,
    version: version ?? 1,
    origin: options.origin ?? 'composed',
    timeoutMs: timeoutMs ?? defaults.timeoutMs,
    deadlinePolicy: deadlinePolicy ?? defaults.deadlinePolicy,
    steps: steps.map((entry, index) => planStepOf(lookup.findStep(entry.step)!, paramsOf(entry.params, `steps[${index}].params`, name))),
  };
}

/** Params are a JSON object the store can keep; none is `{}`. */
function paramsOf(params: unknown, field: string, sagaName: string): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) {
    throw new SagaValidationError(`${field} must be a JSON object (it becomes the step's ctx.params).`, field, { sagaName });
  }
  const stored = toStorableJson(params, field, MAX_JSON_DEPTH);
  if (!stored.ok) throw new SagaValidationError(`${field} cannot be stored: ${stored.message}`, stored.path, { sagaName });
  return stored.value as Record<string, unknown>;
}

export function planError(problem: { code: string; message: string; field: string; step?: string }, sagaName: string): SagaPlanError {
  const context = { sagaName, ...(problem.step ? { stepName: problem.step } : {}) };
  switch (problem.code) {
    case 'PLAN_NAME_INVALID':
      return new InvalidPlanNameError(problem.message, problem.field, context);
    case 'PLAN_EMPTY':
      return new EmptyPlanError(problem.message, problem.field, context);
    case 'PLAN_STEP_NOT_REGISTERED':
      return new PlanStepNotRegisteredError(problem.message, problem.field, context);
    case 'PLAN_STEP_DUPLICATE':
      return new DuplicatePlanStepError(problem.message, problem.field, context);
    default:
      return new MissingStepRequirementError(problem.message, problem.field, context);
  }
}

/** Same steps with the same params, in the same order (for idempotent starts of compositions). */
export function samePlanSteps(a: SagaPlanView | null, b: SagaPlanView): boolean {
  if (!a || a.steps.length !== b.steps.length) return false;
  return a.steps.every((s, i) => s.step === b.steps[i]!.step && sameJson(s.params ?? {}, b.steps[i]!.params));
}

export type BoundPlan =
  | { ok: true; plan: ExecutablePlan; view: SagaPlanView }
  | { ok: false; missing: string[]; view: SagaPlanView | null };

/**
 * Binds a saga's plan to this instance's handlers. A stored plan is taken as it is; a saga stored
 * before plans runs its stored steps (by name) with the registered steps' policies, under its
 * registered definition's deadline settings (or the module's when that definition is gone).
 * Not ok: the steps this instance lacks.
 */
export function bindPlan(rec: StoredSagaPlanSource, lookup: PlanLookup, defaults: PlanDefaults): BoundPlan {
  let view: SagaPlanView;
  if (rec.plan) {
    view = rec.plan;
  } else {
    const registered = rec.steps.map((s) => lookup.findStep(s.name));
    const missing = rec.steps.filter((_, i) => !registered[i]).map((s) => s.name);
    if (missing.length) return { ok: false, missing, view: null };
    const def = lookup.find(rec.name);
    view = {
      name: rec.name,
      version: rec.version,
      origin: 'legacy',
      timeoutMs: def?.timeoutMs ?? defaults.timeoutMs,
      deadlinePolicy: def?.deadlinePolicy ?? defaults.deadlinePolicy,
      steps: registered.map((s) => planStepOf(s!)),
    };
  }
  const missing: string[] = [];
  const steps: ExecutableStep[] = [];
  for (const planned of view.steps) {
    const registered = lookup.findStep(planned.step);
    if (!registered) {
      missing.push(planned.step);
      continue;
    }
    steps.push({
      name: planned.step,
      params: Object.keys(planned.params ?? {}).length ? Object.freeze({ ...planned.params }) : EMPTY_PARAMS,
      handler: registered.handler,
      hasCompensation: registered.hasCompensation,
      timeoutMs: planned.timeoutMs,
      retry: { ...planned.retry },
      compensationTimeoutMs: planned.compensationTimeoutMs,
      compensationRetry: { ...planned.compensationRetry },
      onFailure: planned.onFailure,
      transactional: registered.transactional === true,
      noEffects: registered.noEffects === true,
    });
  }
  if (missing.length) return { ok: false, missing, view };
  if (steps.length !== rec.steps.length || steps.some((s, i) => s.name !== rec.steps[i]!.name)) {
    // Written together at start, so they cannot differ unless the row was edited by hand.
    return { ok: false, missing: [], view };
  }
  return { ok: true, plan: { name: view.name, version: view.version, timeoutMs: view.timeoutMs, deadlinePolicy: view.deadlinePolicy, steps }, view };
}
