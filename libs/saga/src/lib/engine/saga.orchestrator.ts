/**
 * Owns this instance's runners: claims due sagas up to `concurrency`, renews all their leases in one
 * statement per period, hands operator requests to the runner that owns the saga, and on shutdown
 * stops claiming, lets attempts finish (up to `shutdownTimeoutMs`) and gives the sagas back.
 * At start it first takes back the sagas its instance id still owns (left by an earlier process of
 * that id); until then it claims nothing else and runs no new saga itself, so the fence it bumps
 * can never be that of a runner of its own.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { Subject } from 'rxjs';
import { v7 as timeOrderedUuid } from 'uuid';
import { SagaStepBreaker } from '../breaker/saga-step-breaker.js';
import { SagaRegistry } from '../discovery/saga.registry.js';
import type { SagaLifecycleEvent } from '../interfaces/saga-service.interface.js';
import type { SagaRecord, SagaRequest } from '../persistence/saga.records.js';
import { SagaStore } from '../persistence/saga.store.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';
import { SagaStateMachine } from '../machine/saga-state-machine.js';
import type { NewSagaEvent } from '../persistence/saga.records.js';
import type { NewSaga } from '../persistence/saga.store.js';
import { SagaStartTrace } from '../tracing/saga-tracing.js';
import { bindPlan, type SagaPlan } from '../plan/saga-plan.js';
import { SagaRunner, type SagaRunnerDeps } from './saga.runner.js';

/** How long a saga this instance cannot run (its plan names a step it lacks) waits before any instance claims it again. */
const UNRUNNABLE_RETRY_MS = 60_000;
/**
 * How long the bootstrap waits for the sagas of an earlier process with this id to be taken back.
 * Past it the app starts anyway (a slow database must not block it); the poller finishes the job.
 */
const BOOT_RECLAIM_WAIT_MS = 5_000;
/**
 * How long a start is sent again while the store cannot be reached (a database restarting, a
 * connection dropped after the write): the same id each time, so a start applied already is
 * answered with its saga, never a second one.
 */
const START_RETRY_MS = 5_000;

@Injectable()
export class SagaOrchestrator implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SagaOrchestrator.name);
  private readonly runners = new Map<string, SagaRunner>();
  /**
   * What the runners of one saga name share, its logger among it (one per name, not per saga: a Nest
   * Logger also makes a console logger of its own on first use).
   */
  private readonly runnerDeps = new Map<string, SagaRunnerDeps>();
  private readonly settled = new EventEmitter();
  readonly events$ = new Subject<SagaLifecycleEvent>();
  private pollTimer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private polling = false;
  private pollAgain = false;
  private stopped = false;
  private started = false;
  /** True once the sagas an earlier process with this instance id owned are taken back. */
  private reclaimed = false;
  private pollFailures = 0;
  /** Set when due sagas may be waiting that no instance has claimed (we refused or left some). */
  private backlog = true;

  constructor(
    private readonly store: SagaStore,
    private readonly registry: SagaRegistry,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
    private readonly breaker: SagaStepBreaker,
  ) {
    this.settled.setMaxListeners(0);
    // Sagas held at a resumed step were made due: claim them now rather than at the next poll.
    this.breaker.released$.subscribe(() => this.nudge());
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  get runningCount(): number {
    return this.runners.size;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.store.init();
    if (this.options.disableWorker) return;
    this.started = true;
    // The paused steps are known before the first claim: a restarted instance never runs a paused step.
    await this.breaker.start();
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    this.logger.log(`Saga worker "${this.options.instanceId}" started (concurrency ${this.options.concurrency}, lease ${this.options.leaseMs} ms)`);
    // The first poll takes back what an earlier process with this id left; waiting for it here means
    // sagas the app starts right after bootstrap run on this instance at once, as they always did.
    await Promise.race([this.poll(), delay(BOOT_RECLAIM_WAIT_MS)]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.shutdown();
  }

  /** True when this instance should run a new saga itself rather than leave it to the poller. */
  hasCapacity(): boolean {
    return this.started && this.reclaimed && !this.stopped && this.runners.size < this.options.concurrency;
  }

  /**
   * Creates a saga from its plan: stores it with its first history event and, when this instance
   * has room, runs its first step at once (the start itself marks that attempt RUNNING, so no
   * separate write precedes it); otherwise any instance claims it. With an idempotency key that is
   * already stored, returns that saga (`created: false`) and runs nothing.
   */
  async create(plan: SagaPlan, input: unknown, idempotencyKey: string | null): Promise<{ saga: SagaRecord; created: boolean }> {
    const runHere = this.hasCapacity();
    const { status, steps } = SagaStateMachine.initialState(
      plan.steps.map((st) => st.step),
      runHere,
      Date.now(),
    );
    const inserted = await this.insertRetried(
      {
        // Time-ordered (UUIDv7): new rows land at the right edge of the id indexes (the primary key
        // and the history's saga index) instead of a random page of a large table, which keeps
        // starts and history writes as cheap on a million rows as on an empty table.
        id: timeOrderedUuid(),
        name: plan.name,
        version: plan.version,
        status,
        input,
        idempotencyKey,
        steps,
        deadlineMs: plan.timeoutMs,
        ownerId: runHere ? this.options.instanceId : null,
        leaseMs: this.options.leaseMs,
        plan,
      },
      [{ type: 'SAGA_STARTED', data: { version: plan.version, instanceId: this.options.instanceId, ...(plan.origin === 'composed' ? { composed: true } : {}) } }],
    );
    const rec = inserted.saga;
    if (inserted.created) {
      this.events$.next({ type: 'SAGA_STARTED', sagaId: rec.id, sagaName: rec.name, status: rec.status, at: new Date() });
      if (runHere) this.adopt(rec, { freshlyStarted: true });
      else this.nudge();
    }
    return inserted;
  }

  /**
   * Inserts, sent again with the same id for up to START_RETRY_MS while the store is unreachable:
   * a start whose reply was lost is answered with the saga it created (see SagaStore.insert).
   */
  private async insertRetried(saga: NewSaga, events: NewSagaEvent[]): ReturnType<SagaStore['insert']> {
    const giveUpAt = Date.now() + START_RETRY_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.insertTraced(saga, events);
      } catch (error) {
        const left = giveUpAt - Date.now();
        if (!this.store.isUnreachable(error) || left <= 0 || this.stopped) throw error;
        const delay = Math.min(100 * 2 ** (attempt - 1), 1_000, left);
        this.logger.warn(`Start of saga "${saga.name}" (id=${saga.id}) failed (attempt ${attempt}): ${(error as Error).message}; sending it again in ${delay} ms`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Inserts under a span of its own (child of the caller's active span, if any) whose context is
   * stored with the saga: every span of the saga, on any instance, descends from it.
   */
  private async insertTraced(saga: NewSaga, events: NewSagaEvent[]): ReturnType<SagaStore['insert']> {
    const span = new SagaStartTrace(saga.name);
    try {
      const inserted = await this.store.insert({ ...saga, traceContext: span.stored }, events);
      span.end({ sagaId: inserted.saga.id, created: inserted.created });
      return inserted;
    } catch (error) {
      span.end({ error });
      throw error;
    }
  }

  /** Runs a saga this instance has just claimed or created. */
  adopt(saga: SagaRecord, options: { previousOwner?: string | null; freshlyStarted?: boolean; restart?: boolean } = {}): SagaRunner | null {
    if (this.runners.has(saga.id)) return this.runners.get(saga.id)!;
    // The saga runs by its own plan, whatever this instance's definition of its name says now.
    const bound = bindPlan(saga, this.registry, { timeoutMs: this.options.defaultSagaTimeoutMs, deadlinePolicy: this.options.deadlinePolicy });
    if (!bound.ok) {
      this.logger.warn(
        bound.missing.length
          ? `Saga "${saga.name}" (id=${saga.id}, version ${saga.version}) needs step(s) ${bound.missing.map((n) => `"${n}"`).join(', ')}, which this instance does not register; it is left for an instance that has them (register those @SagaStep providers here, or run such an instance)`
          : `Saga "${saga.name}" (id=${saga.id}) has stored steps that differ from its stored plan; it is left untouched`,
      );
      this.putBack(saga);
      return null;
    }
    const runner = new SagaRunner(
      this.depsOf(saga.name),
      saga,
      bound.plan,
      options,
    );
    this.runners.set(saga.id, runner);
    void runner.done.finally(() => {
      this.runners.delete(saga.id);
      this.settled.emit(saga.id);
      this.settled.emit('*', saga.id);
      if (!this.stopped && this.backlog) this.schedulePoll(0);
    });
    return runner;
  }

  private depsOf(sagaName: string): SagaRunnerDeps {
    let deps = this.runnerDeps.get(sagaName);
    if (!deps) {
      deps = { store: this.store, options: this.options, logger: new Logger(`Saga:${sagaName}`), emit: (e) => this.events$.next(e), breaker: this.breaker };
      this.runnerDeps.set(sagaName, deps);
    }
    return deps;
  }

  /**
   * Gives back a saga this instance cannot run, without using an attempt, and leaves it alone for a
   * while (no claim loop). An instance that can run it takes it then, or at once when its stuck
   * detector finds it reported `STEP_NOT_REGISTERED`.
   */
  private putBack(saga: SagaRecord): void {
    void this.store.releaseAll(this.options.instanceId, [{ sagaId: saga.id, fence: saga.fence }], UNRUNNABLE_RETRY_MS).catch(() => undefined);
  }

  /**
   * Delivers an operator request: to the local runner if this instance owns the saga, else by
   * claiming the saga if nobody holds it. Waits up to `waitMs` for it to be applied. When another
   * live instance owns the saga, that instance applies it at its next lease renewal.
   */
  async deliver(sagaId: string, request: SagaRequest, waitMs = 3_000, again = true): Promise<void> {
    let runner = this.runners.get(sagaId);
    if (!runner && this.started && this.reclaimed && !this.stopped) {
      const claimed = await this.store.claimOne(sagaId, this.options.instanceId, this.options.leaseMs);
      if (claimed) runner = this.adopt(claimed.saga, { previousOwner: claimed.previousOwner }) ?? undefined;
    }
    if (!runner) return;
    runner.onRequest(request);
    const applied = await Promise.race([runner.whenApplied(request.token), delay(waitMs).then(() => true)]);
    // The runner settled the saga before it saw the request; the release left the saga due: take it now.
    if (!applied && again) await this.deliver(sagaId, request, waitMs, false);
  }

  /** Resolves when a local runner of the saga stops, or after `ms`. */
  waitForLocalChange(sagaId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.settled.off(sagaId, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.settled.on(sagaId, done);
    });
  }

  isRunningLocally(sagaId: string): boolean {
    return this.runners.has(sagaId);
  }

  /** Look for due sagas now (after a request made one due, or the stuck detector recovered some). */
  nudge(): void {
    this.backlog = true;
    if (this.started && !this.stopped) this.schedulePoll(0);
  }

  private schedulePoll(ms: number): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.pollTimer) clearTimeout(this.pollTimer);
    // Not unref'd: a worker-only app (no HTTP server) must stay alive while it has sagas to run.
    this.pollTimer = setTimeout(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    this.pollTimer = null;
    if (this.stopped) return;
    this.polling = true;
    let next = this.options.pollIntervalMs;
    try {
      if (!this.reclaimed) await this.reclaim();
      if (this.runners.size) await this.deliverPendingRequests();
      const free = this.options.concurrency - this.runners.size;
      if (free > 0) {
        const limit = Math.min(free, 64);
        const claimed = await this.store.claimDue(this.options.instanceId, limit, this.options.leaseMs);
        for (const c of claimed) {
          if (this.stopped) break;
          this.adopt(c.saga, { previousOwner: c.previousOwner });
        }
        this.backlog = claimed.length === limit;
        if (this.backlog) next = 0;
      } else {
        this.backlog = true;
      }
      if (this.pollFailures > 0) this.logger.log('Saga store reachable again; resuming work');
      this.pollFailures = 0;
    } catch (error) {
      this.pollFailures++;
      next = Math.min(this.options.pollIntervalMs * 2 ** Math.min(this.pollFailures, 5), 30_000);
      this.logger.warn(`Cannot claim sagas (${(error as Error).message}); retrying in ${next} ms`);
    } finally {
      this.polling = false;
    }
    if (this.pollAgain) {
      this.pollAgain = false;
      next = 0;
    }
    this.schedulePoll(next);
  }

  /**
   * A stable `instanceId` (a pod name) comes back after a crash: the sagas the dead process owned are
   * ours to run now, not after their leases expire. Bumping the fence fences out that process in
   * case it is in fact still alive (two replicas given one id).
   */
  private async reclaim(): Promise<void> {
    const claimed = await this.store.reclaim(this.options.instanceId, this.options.concurrency - this.runners.size, this.options.leaseMs);
    this.reclaimed = true;
    const left: { sagaId: string; fence: number }[] = [];
    for (const c of claimed) {
      if (this.stopped) left.push({ sagaId: c.saga.id, fence: c.saga.fence });
      else this.adopt(c.saga, { previousOwner: c.previousOwner, restart: true });
    }
    // Shut down meanwhile: hand them to the other instances now rather than after the new lease.
    if (left.length) await this.store.releaseAll(this.options.instanceId, left);
    if (claimed.length) this.logger.warn(`Saga worker "${this.options.instanceId}" took back ${claimed.length} saga(s) an earlier process with this id left unfinished`);
  }

  /** Requests written by other instances' operators reach our runners within one poll interval. */
  private async deliverPendingRequests(): Promise<void> {
    for (const row of await this.store.pendingRequests(this.options.instanceId)) {
      const runner = this.runners.get(row.sagaId);
      if (runner && runner.fence === row.fence && row.request) runner.onRequest(row.request);
    }
  }

  private async renewLeases(): Promise<void> {
    if (!this.runners.size) return;
    const owned = [...this.runners.values()].map((r) => ({ sagaId: r.sagaId, fence: r.fence }));
    try {
      const renewed = await this.store.renewLeases(this.options.instanceId, owned, this.options.leaseMs);
      const alive = new Map(renewed.map((r) => [r.sagaId, r]));
      for (const { sagaId, fence } of owned) {
        const runner = this.runners.get(sagaId);
        if (!runner || runner.fence !== fence) continue;
        const row = alive.get(sagaId);
        if (!row) runner.loseLease();
        else if (row.request) runner.onRequest(row.request);
      }
    } catch (error) {
      this.logger.warn(`Cannot renew saga leases (${(error as Error).message}); will retry`);
    }
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.breaker.stop();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const runners = [...this.runners.values()];
    for (const r of runners) r.stop();
    const all = Promise.all(runners.map((r) => r.done));
    const finished = await Promise.race([all.then(() => true), delay(this.options.shutdownTimeoutMs).then(() => false)]);
    if (!finished) {
      for (const r of this.runners.values()) r.abortForShutdown();
      await Promise.race([all, delay(2_000)]);
    }
    if (this.renewTimer) clearInterval(this.renewTimer);
    const left = [...this.runners.values()].map((r) => ({ sagaId: r.sagaId, fence: r.fence }));
    if (left.length) await this.store.releaseAll(this.options.instanceId, left).catch(() => undefined);
    this.events$.complete();
    if (runners.length) this.logger.log(`Saga worker "${this.options.instanceId}" stopped; ${runners.length} saga(s) handed back`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
