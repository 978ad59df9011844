/**
 * The README's durability settings, checked: on a Redis with `appendonly yes` and `appendfsync
 * always`, killing the server (SIGKILL) in the middle of running sagas loses none of them; the app
 * waits for Redis to come back and every saga finishes, each step's success stored once.
 */
import type { INestApplication } from '@nestjs/common';
import { afterAll, describe, expect, it } from 'vitest';
import { SagaService } from '../src/index.js';
import { RedisSagaStore } from '../src/redis/index.js';
import { until } from './support/saga-app.js';
import { bootSagaAppOnStore } from './support/store-app.js';
import { startPrivateRedis, type PrivateRedis } from './support/private-redis.js';
import { FlowModule, FlowSaga } from './support/flow.fixtures.js';

/** Counts the checkpoints that failed (Redis down), which the engine writes again. */
class ObservedStore extends RedisSagaStore {
  failedCheckpoints = 0;
  override async checkpoint(cp: Parameters<RedisSagaStore['checkpoint']>[0]) {
    try {
      return await super.checkpoint(cp);
    } catch (error) {
      this.failedCheckpoints++;
      throw error;
    }
  }
}

let redis: PrivateRedis | undefined;
let app: INestApplication | undefined;

afterAll(async () => {
  await app?.close();
  await redis?.stop();
});

describe('RedisSagaStore on a durable Redis', () => {
  it('loses no saga and no stored step when Redis is killed mid-run and restarted', { timeout: 240_000 }, async () => {
    redis = await startPrivateRedis();
    const store = new ObservedStore({ url: redis.url, keyPrefix: 'durability' });
    app = await bootSagaAppOnStore(store, { imports: [FlowModule] });
    const sagas = app.get(SagaService);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      ids.push((await sagas.start(FlowSaga, { script: { 'step-b': { delayMs: 100 + (i % 5) * 100 }, 'step-c': { delayMs: 300 } } }, { idempotencyKey: `durable-${i}` })).sagaId);
    }
    const before = await until(
      () => store.stats(),
      (s) => s.byStatus.COMPLETED >= 3,
      'some sagas done before the crash',
    );
    expect(before.byStatus.COMPLETED).toBeLessThan(40);
    await redis.kill();
    // Down long enough that steps finish and their checkpoints fail (and are kept to write again).
    await until(async () => store.failedCheckpoints, (n) => n >= 3, 'checkpoints failing while Redis is down');
    await redis.start();

    // Until the client has reconnected, calls fail at once: asked again, like the engine does.
    const after = await until(() => store.stats().catch(() => null), (s) => s?.byStatus.COMPLETED === 40, 'all 40 sagas COMPLETED after the restart', 180_000);
    expect(after!.total).toBe(40);
    for (const id of ids) {
      const events = await store.getEvents(id);
      const successes = events.filter((e) => e.type === 'STEP_SUCCEEDED').map((e) => e.step);
      expect(successes.sort()).toEqual(['step-a', 'step-b', 'step-c', 'step-d']);
      expect(events[0].type).toBe('SAGA_STARTED');
    }
  });
});
