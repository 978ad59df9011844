/**
 * Prometheus metrics of the engine (SagaModule `metrics` option). Counters and the duration
 * histogram follow `SagaService.events$` (what this instance did); the stuck and per-status gauges
 * read the store at scrape time, so they are right for the whole cluster whichever instance is
 * scraped. prom-client is loaded only when metrics are on (an optional peer).
 */
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SAGA_STATUSES, type SagaStats } from '@nest-saga/contracts';
import type { Subscription } from 'rxjs';
import type { SagaLifecycleEvent } from '../interfaces/saga-service.interface.js';
import type { SagaMetricsRegistry } from '../interfaces/saga-options.interface.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SagaRetentionJob, type SagaRetentionDeletion } from '../scheduler/saga-retention.job.js';
import { SagaService } from '../services/saga.service.js';
import { SAGA_PROM_CLIENT, SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';
import type { PromClient } from './prom-client.loader.js';
import { SagaMetricsDisabledError } from './saga-metrics.errors.js';

const FINISHED = new Set(['SAGA_COMPLETED', 'SAGA_COMPENSATED', 'SAGA_CANCELLED', 'SAGA_FAILED']);
const ATTEMPT_OUTCOME: Record<string, { phase: 'execute' | 'compensate'; outcome: string }> = {
  STEP_SUCCEEDED: { phase: 'execute', outcome: 'succeeded' },
  STEP_FAILED: { phase: 'execute', outcome: 'failed' },
  STEP_TIMED_OUT: { phase: 'execute', outcome: 'timed_out' },
  STEP_COMPENSATED: { phase: 'compensate', outcome: 'succeeded' },
  STEP_COMPENSATION_FAILED: { phase: 'compensate', outcome: 'failed' },
};
/** Step durations, in seconds: from a few milliseconds (local writes) to a minute (slow services). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

interface Instruments {
  registry: SagaMetricsRegistry;
  started: import('prom-client').Counter<'saga'>;
  finished: import('prom-client').Counter<'saga' | 'status'>;
  attempts: import('prom-client').Counter<'saga' | 'step' | 'phase' | 'outcome'>;
  durations: import('prom-client').Histogram<'saga' | 'step' | 'phase' | 'outcome'>;
  compensations: import('prom-client').Counter<'saga'>;
  retries: import('prom-client').Counter<'saga' | 'step'>;
  retentionDeleted: import('prom-client').Counter<'saga' | 'status'>;
}

/**
 * The saga metrics of this app. Serve `metrics()` at your `/metrics` (with `contentType`), or pass
 * your own prom-client registry in `SagaModule.forRoot({ metrics: { registry } })` and serve that.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `saga_started_total` | counter | `saga` |
 * | `saga_finished_total` | counter | `saga`, `status` (COMPLETED, COMPENSATED, CANCELLED, FAILED) |
 * | `saga_step_attempts_total` | counter | `saga`, `step`, `phase` (execute, compensate), `outcome` (succeeded, failed, timed_out) |
 * | `saga_step_duration_seconds` | histogram | as `saga_step_attempts_total` |
 * | `saga_step_retries_total` | counter | `saga`, `step` |
 * | `saga_compensations_total` | counter | `saga` |
 * | `saga_stuck` | gauge | (whole database) |
 * | `saga_instances` | gauge | `status` (whole database) |
 * | `saga_retention_deleted_total` | counter | `saga`, `status`: finished sagas this instance's retention job deleted |
 */
@Injectable()
export class SagaMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SagaMetrics.name);
  private readonly instruments: Instruments | null;
  private subscription?: Subscription;
  private retentionSubscription?: Subscription;
  private statsInFlight: Promise<SagaStats | null> | null = null;

  constructor(
    private readonly sagas: SagaService,
    // Typed loosely on purpose: this signature is in the published .d.ts, which must not name prom-client.
    @Inject(SAGA_PROM_CLIENT) prom: unknown,
    @Inject(SAGA_RESOLVED_OPTIONS) options: ResolvedSagaOptions,
    @Optional() private readonly retention?: SagaRetentionJob,
  ) {
    this.instruments = prom && options.metrics ? this.create(prom as PromClient, options.metrics) : null;
  }

  /** True when `metrics` is on (and prom-client loaded). */
  get enabled(): boolean {
    return this.instruments !== null;
  }

  /** The prom-client registry the saga metrics are in (yours, or the module's own). */
  get registry(): SagaMetricsRegistry {
    return this.on().registry;
  }

  /** `Content-Type` of `metrics()`. */
  get contentType(): string {
    return this.on().registry.contentType;
  }

  /** The Prometheus text of the registry (the gauges read the store first). Throws `SagaMetricsDisabledError` when off. */
  metrics(): Promise<string> {
    try {
      return this.on().registry.metrics();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  onModuleInit(): void {
    if (!this.instruments) return;
    this.subscription = this.sagas.events$.subscribe((event) => this.record(event));
    if (this.retention?.enabled) this.retentionSubscription = this.retention.deletions$.subscribe((batch) => this.recordRetention(batch));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    this.retentionSubscription?.unsubscribe();
  }

  private on(): Instruments {
    if (!this.instruments) throw new SagaMetricsDisabledError();
    return this.instruments;
  }

  private create(prom: PromClient, options: Exclude<ResolvedSagaOptions['metrics'], false>): Instruments {
    // A registry per module by default (not prom-client's global one), so that several apps can live in one process.
    const registry = (options.registry ?? new prom.Registry()) as SagaMetricsRegistry & import('prom-client').Registry;
    const registers = [registry];
    if (options.defaultMetrics) prom.collectDefaultMetrics({ register: registry });
    const stats = () => this.readStats();
    new prom.Gauge({
      name: 'saga_stuck',
      help: 'Non-terminal sagas currently reported stuck (whole database, read at scrape time).',
      registers,
      async collect() {
        const s = await stats();
        if (s) this.set(s.stuck);
      },
    });
    new prom.Gauge({
      name: 'saga_instances',
      help: 'Saga instances in the database by status (read at scrape time).',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        const s = await stats();
        if (s) for (const status of SAGA_STATUSES) this.set({ status }, s.byStatus[status] ?? 0);
      },
    });
    return {
      registry,
      started: new prom.Counter({ name: 'saga_started_total', help: 'Sagas started by this instance, by saga name.', labelNames: ['saga'] as const, registers }),
      finished: new prom.Counter({
        name: 'saga_finished_total',
        help: 'Sagas that reached COMPLETED, COMPENSATED, CANCELLED or FAILED on this instance, by saga name and status.',
        labelNames: ['saga', 'status'] as const,
        registers,
      }),
      attempts: new prom.Counter({
        name: 'saga_step_attempts_total',
        help: 'Finished step attempts, by saga, step, phase (execute or compensate) and outcome.',
        labelNames: ['saga', 'step', 'phase', 'outcome'] as const,
        registers,
      }),
      durations: new prom.Histogram({
        name: 'saga_step_duration_seconds',
        help: 'Duration of step attempts, by saga, step, phase and outcome.',
        labelNames: ['saga', 'step', 'phase', 'outcome'] as const,
        buckets: DURATION_BUCKETS,
        registers,
      }),
      compensations: new prom.Counter({ name: 'saga_compensations_total', help: 'Sagas whose compensation started, by saga name.', labelNames: ['saga'] as const, registers }),
      retries: new prom.Counter({ name: 'saga_step_retries_total', help: 'Step retries scheduled, by saga and step.', labelNames: ['saga', 'step'] as const, registers }),
      retentionDeleted: new prom.Counter({
        name: 'saga_retention_deleted_total',
        help: 'Finished sagas the retention job of this instance deleted (with their history), by saga name and status.',
        labelNames: ['saga', 'status'] as const,
        registers,
      }),
    };
  }

  /** One store read per scrape, shared by both gauges; on failure they keep their last values. */
  private readStats(): Promise<SagaStats | null> {
    this.statsInFlight ??= this.sagas
      .stats()
      .catch((error: unknown) => {
        this.logger.warn(`Cannot read saga stats for the metrics: ${(error as Error).message}`);
        return null;
      })
      .finally(() => {
        this.statsInFlight = null;
      });
    return this.statsInFlight;
  }

  private recordRetention(batch: SagaRetentionDeletion): void {
    const m = this.instruments!;
    for (const c of batch.bySaga) m.retentionDeleted.inc({ saga: c.sagaName, status: c.status }, c.count);
  }

  private record(event: SagaLifecycleEvent): void {
    const m = this.instruments!;
    const saga = event.sagaName;
    if (event.type === 'SAGA_STARTED') m.started.inc({ saga });
    else if (FINISHED.has(event.type)) m.finished.inc({ saga, status: event.status });
    else if (event.type === 'COMPENSATION_STARTED') m.compensations.inc({ saga });
    else if (event.type === 'STEP_RETRY_SCHEDULED' && event.step) m.retries.inc({ saga, step: event.step });
    const attempt = ATTEMPT_OUTCOME[event.type];
    if (attempt && event.step) {
      const labels = { saga, step: event.step, phase: attempt.phase, outcome: attempt.outcome };
      m.attempts.inc(labels);
      if (typeof event.durationMs === 'number') m.durations.observe(labels, event.durationMs / 1000);
    }
  }
}
