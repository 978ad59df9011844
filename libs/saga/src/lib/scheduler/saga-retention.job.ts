/**
 * Deletes finished sagas (COMPLETED, COMPENSATED, CANCELLED; never FAILED, which waits for an
 * operator) once they finished `finishedAfterMs` ago, with their history, and finished bulk actions
 * likewise. Runs as a `SchedulerRegistry` interval on every instance; instances share the work
 * (each batch skips rows another holds). Off unless `retention` is set.
 */
import type { SagaStatus } from '@nest-saga/contracts';
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Subject, type Observable } from 'rxjs';
import { SagaConfigurationError } from '../errors/saga.errors.js';
import { SagaRetentionStore } from '../persistence/saga-retention.store.js';
import { SAGA_RETENTION_INTERVAL_NAME, SAGA_RETENTION_OPTIONS, SAGA_RETENTION_STORE } from '../saga-operations.tokens.js';
import type { ResolvedRetentionOptions } from './retention-options.js';

/** Sagas of one definition and status deleted by one batch. */
export interface SagaRetentionCount {
  sagaName: string;
  status: SagaStatus;
  count: number;
}

/** One batch deleted, as `SagaRetentionJob.deletions$` reports it (for metrics). */
export interface SagaRetentionDeletion {
  /** Sagas deleted by the batch (at most `batchSize`). */
  sagas: number;
  /** History rows deleted with them. */
  events: number;
  bySaga: SagaRetentionCount[];
  at: Date;
}

/** What one run deleted. */
export interface SagaRetentionRun {
  sagas: number;
  events: number;
  bulkActions: number;
  /** Batches of sagas (each one transaction). */
  batches: number;
}

const EMPTY_RUN: SagaRetentionRun = { sagas: 0, events: 0, bulkActions: 0, batches: 0 };

@Injectable()
export class SagaRetentionJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SagaRetentionJob.name);
  private readonly deletions = new Subject<SagaRetentionDeletion>();
  private running: Promise<SagaRetentionRun> | null = null;
  private registered = false;
  private stopped = false;
  private total = 0;

  constructor(
    @Inject(SAGA_RETENTION_STORE) private readonly store: SagaRetentionStore,
    @Inject(SAGA_RETENTION_OPTIONS) private readonly options: ResolvedRetentionOptions | null,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  /** True when `retention` is configured. */
  get enabled(): boolean {
    return this.options !== null;
  }

  /** One notification per batch of sagas this instance deleted. */
  get deletions$(): Observable<SagaRetentionDeletion> {
    return this.deletions.asObservable();
  }

  /** Sagas this instance has deleted since it started. */
  get deletedTotal(): number {
    return this.total;
  }

  onApplicationBootstrap(): void {
    if (!this.options) return;
    if (!this.scheduler) {
      throw new SagaConfigurationError('Saga retention needs @nestjs/schedule: add ScheduleModule.forRoot() to your app module imports (or leave retention unset).');
    }
    const interval = setInterval(() => void this.purge(), this.options.intervalMs);
    interval.unref?.();
    this.scheduler.addInterval(SAGA_RETENTION_INTERVAL_NAME, interval);
    this.registered = true;
    this.logger.log(`Retention on: finished sagas are deleted ${this.options.finishedAfterMs} ms after they finish (every ${this.options.intervalMs} ms, ${this.options.batchSize} rows per statement)`);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.registered && this.scheduler?.doesExist('interval', SAGA_RETENTION_INTERVAL_NAME)) this.scheduler.deleteInterval(SAGA_RETENTION_INTERVAL_NAME);
    this.registered = false;
    this.deletions.complete();
  }

  /**
   * One run now: batches until none is left (or `maxBatchesPerRun`). Never throws: a failure is
   * logged and the next run carries on. A call while a run is going joins it.
   */
  purge(): Promise<SagaRetentionRun> {
    if (!this.options) return Promise.resolve({ ...EMPTY_RUN });
    this.running ??= this.run(this.options).finally(() => (this.running = null));
    return this.running;
  }

  private async run(options: ResolvedRetentionOptions): Promise<SagaRetentionRun> {
    const result = { ...EMPTY_RUN };
    try {
      while (!this.stopped && result.batches < options.maxBatchesPerRun) {
        const batch = await this.store.deleteFinishedSagas(options.finishedAfterMs, options.batchSize);
        if (!batch.sagas.length) break;
        result.batches++;
        result.sagas += batch.sagas.length;
        result.events += batch.events;
        this.total += batch.sagas.length;
        const counts = new Map<string, SagaRetentionCount>();
        for (const s of batch.sagas) {
          const key = `${s.name}\u0000${s.status}`;
          const c = counts.get(key) ?? { sagaName: s.name, status: s.status, count: 0 };
          c.count++;
          counts.set(key, c);
        }
        this.deletions.next({ sagas: batch.sagas.length, events: batch.events, bySaga: [...counts.values()], at: new Date() });
        if (batch.sagas.length < options.batchSize) break;
        // Let the engine's own statements go first between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (let n = 0; !this.stopped && n < options.maxBatchesPerRun; n++) {
        const bulk = await this.store.deleteFinishedBulkActions(options.finishedAfterMs, options.batchSize);
        result.bulkActions += bulk.actions;
        if (bulk.rows === 0) break;
      }
      if (result.sagas || result.bulkActions) {
        this.logger.log(`Retention deleted ${result.sagas} finished saga(s) with ${result.events} history row(s) and ${result.bulkActions} bulk action(s)`);
      }
    } catch (error) {
      this.logger.warn(`Retention run failed (${(error as Error).message}); the next run carries on`);
    }
    return result;
  }
}
