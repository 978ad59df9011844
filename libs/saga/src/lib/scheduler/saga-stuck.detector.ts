/**
 * Finds sagas that make no progress, says why, and recovers those that can be recovered. Runs as an
 * interval registered in @nestjs/schedule's SchedulerRegistry. A saga waiting for a retry that is
 * due later, within its policy, is never reported.
 */
import type { StuckReason } from '@nest-saga/contracts';
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { SagaRegistry } from '../discovery/saga.registry.js';
import { SagaOrchestrator } from '../engine/saga.orchestrator.js';
import { bindPlan } from '../plan/saga-plan.js';
import { SagaConfigurationError } from '../errors/saga.errors.js';
import type { SagaRecord } from '../persistence/saga.records.js';
import { SagaStore, type StuckMark } from '../persistence/saga.store.js';
import { SAGA_STUCK_INTERVAL_NAME } from '../saga.constants.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';

export interface StuckVerdict {
  reason: StuckReason;
  recover: boolean;
}

/**
 * Pure classification of one candidate, on the store's clock. Null: not stuck. `missingSteps`: the
 * steps of the saga's plan that the classifying instance does not register (none when omitted).
 */
export function classifyStuck(
  saga: SagaRecord,
  now: Date,
  stuckAfterMs: number,
  stepTimeoutOf: (index: number) => number | undefined,
  missingSteps: readonly string[] = [],
): StuckVerdict | null {
  const t = now.getTime();
  const idleFor = t - new Date(saga.updatedAt).getTime();
  const noProgress = idleFor >= stuckAfterMs;
  const leaseExpired = saga.ownerId !== null && saga.leaseExpiresAt !== null && new Date(saga.leaseExpiresAt).getTime() < t;
  const deadlinePassed = saga.deadlineAt !== null && new Date(saga.deadlineAt).getTime() < t;

  if (saga.status === 'PAUSED') return noProgress ? { reason: 'PAUSED_TOO_LONG', recover: false } : null;
  if (leaseExpired && noProgress) return { reason: 'LEASE_EXPIRED', recover: true };
  if (saga.ownerId === null) {
    // Left by instances that lack a step of its plan; one that has them all takes it now.
    if (missingSteps.length && noProgress) return { reason: 'STEP_NOT_REGISTERED', recover: false };
    if (!missingSteps.length && saga.stuckReason === 'STEP_NOT_REGISTERED') return { reason: 'STEP_NOT_REGISTERED', recover: true };
  }
  if (saga.ownerId !== null && !leaseExpired) {
    const step = saga.steps[saga.currentStep];
    const running = saga.status === 'RUNNING' ? step : saga.steps.find((s) => s.status === 'COMPENSATING');
    const timeout = running ? stepTimeoutOf(saga.steps.indexOf(running)) : undefined;
    const startedAt = saga.status === 'RUNNING' ? running?.startedAt : running?.compensation.startedAt;
    if (running && timeout && startedAt && t - Date.parse(startedAt) > timeout + Math.max(stuckAfterMs, 1_000) && noProgress) {
      return { reason: 'STEP_TIMEOUT_EXCEEDED', recover: false };
    }
  }
  if (saga.ownerId === null && saga.nextRunAt !== null && noProgress) {
    const overdueBy = t - new Date(saga.nextRunAt).getTime();
    if (overdueBy >= Math.min(stuckAfterMs, 60_000)) return { reason: 'RETRY_OVERDUE', recover: true };
  }
  if (deadlinePassed) return { reason: 'DEADLINE_PASSED', recover: saga.ownerId === null || leaseExpired };
  if (noProgress && saga.ownerId === null && saga.nextRunAt === null) return { reason: 'NO_PROGRESS', recover: true };
  return null;
}

function recoveryHint(reason: StuckReason): string {
  return reason === 'STEP_NOT_REGISTERED'
    ? 'none here: run an instance that registers the missing steps (it takes the saga at its next stuck check)'
    : 'none: needs an operator or the step to finish';
}

@Injectable()
export class SagaStuckDetector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SagaStuckDetector.name);
  private running = false;
  private registered = false;

  constructor(
    private readonly store: SagaStore,
    private readonly registry: SagaRegistry,
    private readonly orchestrator: SagaOrchestrator,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.disableStuckDetector) return;
    if (!this.scheduler) {
      throw new SagaConfigurationError(
        'The stuck-saga detector needs @nestjs/schedule: add ScheduleModule.forRoot() to your app module imports (or set disableStuckDetector: true).',
      );
    }
    const interval = setInterval(() => void this.check(), this.options.stuckCheckIntervalMs);
    interval.unref?.();
    this.scheduler.addInterval(SAGA_STUCK_INTERVAL_NAME, interval);
    this.registered = true;
  }

  onApplicationShutdown(): void {
    if (this.registered && this.scheduler?.doesExist('interval', SAGA_STUCK_INTERVAL_NAME)) {
      this.scheduler.deleteInterval(SAGA_STUCK_INTERVAL_NAME);
    }
    this.registered = false;
  }

  /** One pass: classify, record, recover. Returns the marks it stored. Never throws. */
  async check(): Promise<StuckMark[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const candidates = await this.store.findStuckCandidates(this.options.stuckAfterMs);
      const marks: StuckMark[] = [];
      const defaults = { timeoutMs: this.options.defaultSagaTimeoutMs, deadlinePolicy: this.options.deadlinePolicy };
      for (const { saga, now } of candidates) {
        const bound = bindPlan(saga, this.registry, defaults);
        const missing = bound.ok ? [] : bound.missing;
        const verdict = classifyStuck(
          saga,
          now,
          this.options.stuckAfterMs,
          (i) => {
            const step = bound.view?.steps[i];
            if (!step) return undefined;
            return saga.status === 'RUNNING' ? step.timeoutMs : step.compensationTimeoutMs;
          },
          missing,
        );
        if (!verdict) continue;
        const isNew = saga.stuckSince === null || saga.stuckReason !== verdict.reason;
        marks.push({
          sagaId: saga.id,
          reason: verdict.reason,
          recover: verdict.recover,
          event: isNew
            ? {
                type: verdict.recover ? 'STUCK_RECOVERED' : 'STUCK_DETECTED',
                actor: this.options.instanceId,
                reason: verdict.reason,
                data: {
                  reason: verdict.reason,
                  recovery: verdict.recover ? 'made claimable now' : recoveryHint(verdict.reason),
                  owner: saga.ownerId,
                  ...(verdict.reason === 'STEP_NOT_REGISTERED' && missing.length ? { missingSteps: missing } : {}),
                },
              }
            : null,
        });
        if (isNew) {
          this.logger.warn(`Saga "${saga.name}" (id=${saga.id}) is stuck: ${verdict.reason}${verdict.recover ? '; recovering' : ''}`);
        }
      }
      await this.store.markStuck(marks);
      if (marks.some((m) => m.recover)) this.orchestrator.nudge();
      return marks;
    } catch (error) {
      this.logger.warn(`Stuck-saga check failed: ${(error as Error).message}`);
      return [];
    } finally {
      this.running = false;
    }
  }
}
