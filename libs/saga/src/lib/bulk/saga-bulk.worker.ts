/**
 * Runs the bulk actions this instance holds: takes the snapshotted sagas in order, at most
 * `ratePerSec` a second, each through SagaService's single-saga action, and records each outcome
 * once. Holding is a lease renewed with every outcome and every third of `leaseMs`; an action whose
 * instance died (lease expired), or that a stopping instance handed back, is taken over by another.
 * An outcome not yet recorded when an instance dies is acted on again by the next one (the saga then
 * answers as it does to a repeated request), so results are at least once, never lost.
 */
import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { SagaError } from '../errors/saga.errors.js';
import { SagaBulkStore, type BulkActionRecord, type BulkItem, type BulkOutcome } from '../persistence/saga-bulk.store.js';
import { SagaService } from '../services/saga.service.js';
import { SAGA_BULK_INTERVAL_NAME, SAGA_BULK_STORE } from '../saga-operations.tokens.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';

type StopReason = 'cancelled' | 'lost' | 'shutdown';

/** Retries of one saga's action on an error that is not a SagaError (the database away, say). */
const ACT_ATTEMPTS = 5;
/** How stale the runner's idea of its action's status may get before it reads it again. */
const STATUS_CHECK_MS = 1_000;

class BulkRun {
  stopped: StopReason | null = null;
  private wakeUp: (() => void) | null = null;
  done!: Promise<void>;

  constructor(public rec: BulkActionRecord) {}

  stop(reason: StopReason): void {
    this.stopped ??= reason;
    this.wakeUp?.();
  }

  /** Sleeps `ms`, or less if the run is stopped meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeUp = null;
        resolve();
      }
      this.wakeUp = done;
    });
  }
}

@Injectable()
export class SagaBulkWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SagaBulkWorker.name);
  private readonly runs = new Map<string, BulkRun>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private stopped = false;

  constructor(
    @Inject(SAGA_BULK_STORE) private readonly store: SagaBulkStore,
    private readonly sagas: SagaService,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
    @Optional() private readonly scheduler?: SchedulerRegistry,
  ) {}

  private get owner(): string {
    return this.options.instanceId;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref?.();
    if (this.scheduler && !this.scheduler.doesExist('interval', SAGA_BULK_INTERVAL_NAME)) this.scheduler.addInterval(SAGA_BULK_INTERVAL_NAME, this.timer);
    // At once: actions an earlier process with this instance id held are ours again.
    void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      if (this.scheduler?.doesExist('interval', SAGA_BULK_INTERVAL_NAME)) this.scheduler.deleteInterval(SAGA_BULK_INTERVAL_NAME);
      else clearInterval(this.timer);
      this.timer = null;
    }
    const runs = [...this.runs.values()];
    for (const run of runs) run.stop('shutdown');
    await Promise.race([Promise.all(runs.map((r) => r.done)), delay(this.options.shutdownTimeoutMs)]);
  }

  /** Starts running an action this instance has just created or claimed. */
  run(rec: BulkActionRecord): void {
    if (this.stopped || this.runs.has(rec.id)) return;
    const run = new BulkRun(rec);
    this.runs.set(rec.id, run);
    run.done = this.loop(run).finally(() => this.runs.delete(rec.id));
  }

  /** The action was cancelled through this instance: stop taking sagas now. */
  cancelled(id: string): void {
    this.runs.get(id)?.stop('cancelled');
  }

  /** Resolves when this instance's run of the action ends (at once if it runs none). */
  async settled(id: string): Promise<void> {
    await this.runs.get(id)?.done;
  }

  /** Renews the leases of the runs here, stops those cancelled or lost, takes over orphaned actions. */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const owned = [...this.runs.values()].map((r) => ({ id: r.rec.id, fence: r.rec.fence }));
      if (owned.length) {
        const held = new Map((await this.store.renew(this.owner, owned, this.options.leaseMs)).map((r) => [r.id, r.status]));
        for (const { id } of owned) {
          const run = this.runs.get(id);
          const status = held.get(id);
          if (!run) continue;
          if (status === undefined) run.stop('lost');
          else if (status !== 'RUNNING') run.stop('cancelled');
        }
      }
      for (;;) {
        if (this.stopped) break;
        const rec = await this.store.claimOrphan(this.owner, this.options.leaseMs, [...this.runs.keys()]);
        if (!rec) break;
        this.logger.warn(`Bulk ${rec.action} (id=${rec.id}) taken over by instance "${this.owner}" at ${rec.done}/${rec.total}`);
        this.run(rec);
      }
    } catch (error) {
      this.logger.warn(`Cannot renew or take over bulk actions (${(error as Error).message}); will retry`);
    } finally {
      this.ticking = false;
    }
  }

  private async loop(run: BulkRun): Promise<void> {
    const rec = run.rec;
    const intervalMs = 1_000 / rec.ratePerSec;
    // Enough in flight to keep the rate when one action takes a few round trips; few enough to stay gentle.
    const maxInFlight = Math.max(1, Math.min(16, Math.ceil(rec.ratePerSec / 10)));
    const inFlight = new Set<Promise<void>>();
    let nextAt = Date.now();
    let cursor = 0;
    let rescanned = false;
    let checkedAt = Date.now();
    this.logger.log(`Bulk ${rec.action} (id=${rec.id}) by ${rec.actor}: ${rec.total - rec.done} saga(s) to go of ${rec.total}, ${rec.ratePerSec}/s`);
    try {
      while (!run.stopped) {
        const items = await this.retry(run, () => this.store.pending(rec.id, cursor, 200));
        if (!items?.length) {
          // Past the end: once nothing is in flight, look again from the start for any item whose
          // outcome could not be written, then finish.
          await Promise.all(inFlight);
          if (rescanned || run.stopped) break;
          rescanned = true;
          cursor = 0;
          continue;
        }
        for (const item of items) {
          const wait = nextAt - Date.now();
          if (wait > 0) await run.sleep(wait);
          while (inFlight.size >= maxInFlight && !run.stopped) await Promise.race(inFlight);
          if (!run.stopped && Date.now() - checkedAt > STATUS_CHECK_MS) {
            checkedAt = Date.now();
            const now = await this.store.get(rec.id).catch(() => undefined);
            if (now === null || (now && (now.ownerId !== this.owner || now.fence !== rec.fence))) run.stop('lost');
            else if (now && now.status !== 'RUNNING') run.stop('cancelled');
          }
          if (run.stopped) break;
          nextAt = Math.max(nextAt, Date.now()) + intervalMs;
          const task: Promise<void> = this.actOn(run, item).finally(() => inFlight.delete(task));
          inFlight.add(task);
          cursor = item.seq;
          rescanned = false;
        }
      }
      await Promise.all(inFlight);
      await this.settle(run);
    } catch (error) {
      this.logger.error(`Bulk ${rec.action} (id=${rec.id}) runner stopped on an unexpected error: ${(error as Error).stack ?? error}`);
      await Promise.all(inFlight).catch(() => undefined);
      await this.store.release(this.owner, [{ id: rec.id, fence: rec.fence }]).catch(() => undefined);
    }
  }

  /** After the loop: finished or cancelled, let go of it (DONE when every saga is done); shutting down, hand it over. */
  private async settle(run: BulkRun): Promise<void> {
    const rec = run.rec;
    if (run.stopped === 'lost') {
      this.logger.warn(`Bulk ${rec.action} (id=${rec.id}) is held by another instance now; this one stops`);
      return;
    }
    if (run.stopped === 'shutdown') {
      await this.store.release(this.owner, [{ id: rec.id, fence: rec.fence }]).catch(() => undefined);
      this.logger.log(`Bulk ${rec.action} (id=${rec.id}) handed back on shutdown; another instance continues it`);
      return;
    }
    const final = await this.retry(run, () => this.store.finish(this.owner, { id: rec.id, fence: rec.fence }), true);
    if (final) {
      this.logger.log(`Bulk ${rec.action} (id=${rec.id}) ${final.status}: ${final.succeeded} succeeded, ${final.failed} failed of ${final.total}`);
    }
  }

  private async actOn(run: BulkRun, item: BulkItem): Promise<void> {
    const rec = run.rec;
    const reason = `bulk ${rec.id}: ${rec.reason}`;
    let outcome: BulkOutcome | undefined;
    for (let attempt = 1; !outcome; attempt++) {
      try {
        await this.sagas[rec.action](item.sagaId, { actor: rec.actor, reason });
        outcome = { seq: item.seq, ok: true };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof SagaError) {
          outcome = { seq: item.seq, ok: false, code: error.code, message };
        } else if (attempt >= ACT_ATTEMPTS || run.stopped === 'lost') {
          this.logger.error(`Bulk ${rec.action} (id=${rec.id}) could not ${rec.action} saga ${item.sagaId}: ${message}`);
          outcome = { seq: item.seq, ok: false, code: 'INTERNAL_ERROR', message };
        } else {
          await delay(Math.min(250 * 2 ** attempt, 5_000));
        }
      }
    }
    const status = await this.retry(run, () => this.store.record(this.owner, { id: rec.id, fence: rec.fence }, outcome, this.options.leaseMs), true);
    if (status === null) run.stop('lost');
    else if (status !== undefined && status !== 'RUNNING') run.stop('cancelled');
  }

  /**
   * Runs a store call again with a backoff while it throws (the database away); gives up with
   * undefined once the run is lost (or stopped, unless `evenIfStopped`).
   */
  private async retry<T>(run: BulkRun, fn: () => Promise<T>, evenIfStopped = false): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (run.stopped === 'lost' || (run.stopped && !evenIfStopped) || (this.stopped && attempt >= 3)) return undefined;
        if (attempt === 0) this.logger.warn(`Bulk ${run.rec.action} (id=${run.rec.id}): store unavailable (${(error as Error).message}); retrying`);
        await delay(Math.min(200 * 2 ** attempt, 5_000));
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}

