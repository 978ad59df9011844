/** Maps stored records to the API's JSON views (contracts DTOs). */
import type { SagaDetail, SagaEventView, SagaPlanView, SagaStepView, SagaSummary } from '@nest-saga/contracts';
import { isTerminal } from '@nest-saga/contracts';
import type { SagaEventRecord, SagaRecord } from '../persistence/saga.records.js';

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

function currentStepName(rec: SagaRecord): string | null {
  if (rec.status === 'COMPENSATING' || rec.status === 'FAILED') {
    for (let i = rec.steps.length - 1; i >= 0; i--) {
      const s = rec.steps[i];
      if (s.status === 'COMPENSATING' || s.status === 'COMPENSATION_FAILED') return s.name;
    }
    return null;
  }
  if (isTerminal(rec.status)) return null;
  return rec.steps[rec.currentStep]?.name ?? null;
}

export function toSummary(rec: SagaRecord): SagaSummary {
  return {
    id: rec.id,
    name: rec.name,
    status: rec.status,
    idempotencyKey: rec.idempotencyKey,
    currentStep: currentStepName(rec),
    currentStepIndex: rec.currentStep,
    createdAt: iso(rec.createdAt)!,
    updatedAt: iso(rec.updatedAt)!,
    finishedAt: iso(rec.finishedAt),
    deadlineAt: iso(rec.deadlineAt),
    stuckSince: iso(rec.stuckSince),
    stuckReason: rec.stuckReason,
    error: rec.error,
  };
}

export function toEventView(e: SagaEventRecord): SagaEventView {
  return {
    id: e.id,
    sagaId: e.sagaId,
    at: iso(e.at)!,
    type: e.type,
    step: e.step,
    attempt: e.attempt,
    actor: e.actor,
    reason: e.reason,
    error: e.error,
    data: e.data,
  };
}

/**
 * `plan`: the saga's stored plan (or the one derived for a saga stored before plans);
 * `hasCompensation`: whether this instance's step of that name has a `compensate`.
 */
export function toDetail(rec: SagaRecord, events: SagaEventRecord[], plan: SagaPlanView | null, hasCompensation: (stepName: string) => boolean): SagaDetail {
  const steps: SagaStepView[] = rec.steps.map((s, index) => ({
    index,
    name: s.name,
    status: s.status,
    attempts: s.attempts,
    output: s.output ?? null,
    error: s.error,
    startedAt: s.startedAt,
    finishedAt: s.finishedAt,
    nextAttemptAt: s.nextAttemptAt,
    outcomeUnknown: s.outcomeUnknown,
    hasCompensation: hasCompensation(s.name),
    compensation: {
      status: s.compensation.status,
      attempts: s.compensation.attempts,
      error: s.compensation.error,
      startedAt: s.compensation.startedAt,
      finishedAt: s.compensation.finishedAt,
      nextAttemptAt: s.compensation.nextAttemptAt,
    },
  }));
  return {
    ...toSummary(rec),
    input: rec.input,
    steps,
    events: events.map(toEventView),
    lease: { ownerId: rec.ownerId, expiresAt: iso(rec.leaseExpiresAt), fence: rec.fence },
    nextRunAt: iso(rec.nextRunAt),
    compensationCause: rec.compensationCause,
    pendingRequest: rec.request ? { action: rec.request.action, actor: rec.request.actor, reason: rec.request.reason, at: rec.request.at } : null,
    definitionVersion: rec.version,
    plan,
  };
}
