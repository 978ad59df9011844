/**
 * Prometheus metrics of this instance. Counters and the duration histogram follow
 * `SagaService.events$`; the stuck and per-status gauges are read from the database at scrape time,
 * so they are right for the whole cluster whichever instance is scraped.
 * A registry per app (not prom-client's global one) lets several apps live in one process (tests).
 */
import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SAGA_STATUSES } from '@nest-saga/contracts';
import { SagaService, type SagaLifecycleEvent } from '@nest-saga/saga';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Subscription } from 'rxjs';

const FINISHED = new Set(['SAGA_COMPLETED', 'SAGA_COMPENSATED', 'SAGA_CANCELLED', 'SAGA_FAILED']);
const ATTEMPT_OUTCOME: Record<string, { phase: 'execute' | 'compensate'; outcome: string }> = {
  STEP_SUCCEEDED: { phase: 'execute', outcome: 'succeeded' },
  STEP_FAILED: { phase: 'execute', outcome: 'failed' },
  STEP_TIMED_OUT: { phase: 'execute', outcome: 'timed_out' },
  STEP_COMPENSATED: { phase: 'compensate', outcome: 'succeeded' },
  STEP_COMPENSATION_FAILED: { phase: 'compensate', outcome: 'failed' },
};

@Injectable()
export class SagaMetricsService implements OnModuleInit, OnModuleDestroy {
  readonly registry = new Registry();
  private readonly logger = new Logger(SagaMetricsService.name);
  private subscription?: Subscription;

  private readonly started = new Counter({
    name: 'saga_started_total',
    help: 'Sagas started by this instance, by saga name.',
    labelNames: ['saga'] as const,
    registers: [this.registry],
  });
  private readonly finished = new Counter({
    name: 'saga_finished_total',
    help: 'Sagas that reached COMPLETED, COMPENSATED, CANCELLED or FAILED on this instance, by saga name and status.',
    labelNames: ['saga', 'status'] as const,
    registers: [this.registry],
  });
  private readonly attempts = new Counter({
    name: 'saga_step_attempts_total',
    help: 'Finished step attempts, by saga, step, phase (execute or compensate) and outcome.',
    labelNames: ['saga', 'step', 'phase', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly durations = new Histogram({
    name: 'saga_step_duration_seconds',
    help: 'Duration of step attempts, by saga, step, phase and outcome.',
    labelNames: ['saga', 'step', 'phase', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly compensations = new Counter({
    name: 'saga_compensations_total',
    help: 'Sagas whose compensation started, by saga name.',
    labelNames: ['saga'] as const,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'saga_step_retries_total',
    help: 'Step retries scheduled, by saga and step.',
    labelNames: ['saga', 'step'] as const,
    registers: [this.registry],
  });

  private readonly stuck = new Gauge({
    name: 'saga_stuck',
    help: 'Non-terminal sagas currently reported stuck (whole database, read at scrape time).',
    registers: [this.registry],
  });
  private readonly instances = new Gauge({
    name: 'saga_instances',
    help: 'Saga instances in the database by status (read at scrape time).',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor(private readonly sagas: SagaService) {
    collectDefaultMetrics({ register: this.registry });
  }

  onModuleInit(): void {
    this.subscription = this.sagas.events$.subscribe((event) => this.record(event));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text; the database gauges are refreshed first (left as they were if it is down). */
  async metrics(): Promise<string> {
    try {
      const stats = await this.sagas.stats();
      this.stuck.set(stats.stuck);
      for (const status of SAGA_STATUSES) this.instances.set({ status }, stats.byStatus[status] ?? 0);
    } catch (error) {
      this.logger.warn(`Cannot read saga stats for /metrics: ${(error as Error).message}`);
    }
    return this.registry.metrics();
  }

  private record(event: SagaLifecycleEvent): void {
    const saga = event.sagaName;
    if (event.type === 'SAGA_STARTED') this.started.inc({ saga });
    else if (FINISHED.has(event.type)) this.finished.inc({ saga, status: event.status });
    else if (event.type === 'COMPENSATION_STARTED') this.compensations.inc({ saga });
    else if (event.type === 'STEP_RETRY_SCHEDULED' && event.step) this.retries.inc({ saga, step: event.step });
    const attempt = ATTEMPT_OUTCOME[event.type];
    if (attempt && event.step) {
      const labels = { saga, step: event.step, phase: attempt.phase, outcome: attempt.outcome };
      this.attempts.inc(labels);
      if (typeof event.durationMs === 'number') this.durations.observe(labels, event.durationMs / 1000);
    }
  }
}
