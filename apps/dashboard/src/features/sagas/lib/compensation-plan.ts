/**
 * Which compensations an action will run, for the confirmation dialog. Mirrors the engine's rule
 * (SPEC 3.4): reverse order, over steps that completed or whose outcome is unknown, that have a
 * compensation, skipping those already compensated (or resolved by hand).
 */
import type { SagaStepView } from '@nest-saga/contracts';

export interface CompensationPlan {
  /** Steps whose compensation will run, in the order it runs (last step first). */
  willRun: SagaStepView[];
  /** Steps that did something but have no compensation: nothing to undo automatically. */
  noCompensation: SagaStepView[];
  /** Already compensated (or resolved): not run again. */
  alreadyDone: SagaStepView[];
}

const DONE = new Set(['COMPENSATED', 'RESOLVED', 'SKIPPED']);

function hasEffects(step: SagaStepView): boolean {
  return (
    step.status === 'COMPLETED' ||
    step.outcomeUnknown ||
    step.status === 'COMPENSATING' ||
    step.status === 'COMPENSATION_FAILED' ||
    step.status === 'COMPENSATED'
  );
}

export function compensationPlan(steps: readonly SagaStepView[], options: { resolving?: string } = {}): CompensationPlan {
  const plan: CompensationPlan = { willRun: [], noCompensation: [], alreadyDone: [] };
  const reversed = [...steps].sort((a, b) => b.index - a.index);
  for (const step of reversed) {
    if (!hasEffects(step)) continue;
    if (!step.hasCompensation) {
      plan.noCompensation.push(step);
    } else if (step.status === 'COMPENSATED' || DONE.has(step.compensation.status ?? '') || step.name === options.resolving) {
      plan.alreadyDone.push(step);
    } else {
      plan.willRun.push(step);
    }
  }
  return plan;
}
