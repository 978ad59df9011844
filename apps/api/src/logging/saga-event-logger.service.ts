/**
 * One structured log line per saga transition, fed by `SagaService.events$` (emitted after each
 * change is stored): the record an operator greps by `sagaId`. Step attempts are debug-level: the
 * engine already warns about failed attempts in its own words.
 */
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { SagaEventType } from '@nest-saga/contracts';
import { SagaService, type SagaLifecycleEvent } from '@nest-saga/saga';
import type { Subscription } from 'rxjs';

type Level = 'log' | 'warn' | 'error' | 'debug';

const DESCRIBE: Record<SagaEventType, [Level, (e: SagaLifecycleEvent) => string]> = {
  SAGA_STARTED: ['log', () => 'started'],
  STEP_STARTED: ['debug', (e) => `step "${e.step}" started (attempt ${e.attempt ?? 1})`],
  STEP_SUCCEEDED: ['debug', (e) => `step "${e.step}" succeeded (attempt ${e.attempt ?? 1})`],
  STEP_FAILED: ['debug', (e) => `step "${e.step}" failed (attempt ${e.attempt ?? '?'}): ${e.error ?? 'unknown error'}`],
  STEP_TIMED_OUT: ['debug', (e) => `step "${e.step}" timed out (attempt ${e.attempt ?? '?'})`],
  STEP_RETRY_SCHEDULED: ['debug', (e) => `step "${e.step}" retry scheduled (next attempt ${(e.attempt ?? 0) + 1})`],
  COMPENSATION_STARTED: ['log', () => 'compensation started'],
  STEP_COMPENSATION_STARTED: ['debug', (e) => `compensation of step "${e.step}" started (attempt ${e.attempt ?? 1})`],
  STEP_COMPENSATED: ['debug', (e) => `step "${e.step}" compensated`],
  STEP_COMPENSATION_FAILED: ['debug', (e) => `compensation of step "${e.step}" failed (attempt ${e.attempt ?? '?'}): ${e.error ?? 'unknown error'}`],
  STEP_COMPENSATION_SKIPPED: ['debug', (e) => `compensation of step "${e.step}" skipped`],
  STEP_RESOLVED: ['log', (e) => `step "${e.step}" resolved by hand`],
  SAGA_COMPLETED: ['log', () => 'completed'],
  SAGA_COMPENSATED: ['log', () => 'compensated'],
  SAGA_CANCELLED: ['log', () => 'cancelled'],
  SAGA_FAILED: ['warn', (e) => `failed: a compensation is exhausted${e.error ? ` (${e.error})` : ''}; an operator must act`],
  SAGA_PAUSED: ['log', () => 'paused'],
  SAGA_RESUMED: ['log', () => 'resumed'],
  SAGA_RETRIED: ['log', () => 'retried'],
  CANCEL_REQUESTED: ['log', () => 'cancel requested'],
  COMPENSATE_REQUESTED: ['log', () => 'compensation requested'],
  PAUSE_REQUESTED: ['log', () => 'pause requested'],
  REQUEST_REJECTED: ['warn', (e) => `operator request rejected${e.reason ? `: ${e.reason}` : ''}`],
  DEADLINE_PASSED: ['log', () => 'deadline passed'],
  LEASE_TAKEN_OVER: ['log', () => 'taken over from another instance'],
  LEASE_LOST: ['log', () => 'lease lost to another instance'],
  STUCK_DETECTED: ['log', (e) => `stuck${e.stuckReason ? ` (${e.stuckReason})` : ''}`],
  STUCK_RECOVERED: ['log', () => 'recovered from stuck'],
};

@Injectable()
export class SagaEventLogger implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Saga');
  private subscription?: Subscription;

  constructor(private readonly sagas: SagaService) {}

  onModuleInit(): void {
    this.subscription = this.sagas.events$.subscribe((event) => this.write(event));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private write(event: SagaLifecycleEvent): void {
    const [level, describe] = DESCRIBE[event.type] ?? (['log', () => event.type.toLowerCase()] as const);
    const fields = {
      msg: `Saga "${event.sagaName}" (id=${event.sagaId}) ${describe(event)}`,
      event: event.type,
      sagaId: event.sagaId,
      sagaName: event.sagaName,
      status: event.status,
      step: event.step,
      attempt: event.attempt,
      durationMs: event.durationMs,
      actor: event.actor,
      reason: event.reason,
      stuckReason: event.stuckReason,
    };
    this.logger[level](fields);
  }
}
