/**
 * `SagaAdminModule.forRootAsync` with an `authorize(req)` callback, in a Nest app of its own on
 * PostgreSQL: the host maps its own users to a role and an actor, and the history records the actor.
 */
import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Saga, SagaDefinition, SagaModule, SagaStep, sagaEntities, sagaMigrations, type SagaStepHandler, type StepContext } from '@nest-saga/saga';
import { SagaAdminModule, type SagaAdminRequest } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';

@SagaStep('wait-for-release', { timeoutMs: 60_000 })
class WaitStep implements SagaStepHandler<unknown, string> {
  execute(_input: unknown, ctx: StepContext): Promise<string> {
    // Runs until the saga is cancelled: the signal aborts it.
    return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
  }
}

@Saga('waiting', { steps: [WaitStep] })
class WaitingSaga extends SagaDefinition<unknown> {}

/** The host's users: a header stands for whatever the host really uses (a JWT, a session). */
@Injectable()
class Users {
  readonly byKey: Record<string, { role: 'viewer' | 'operator'; actor: string }> = {
    'key-alice': { role: 'operator', actor: 'alice@example.com' },
    'key-bob': { role: 'viewer', actor: 'bob@example.com' },
  };
  find(request: SagaAdminRequest) {
    const key = request.headers['x-user-key'];
    return typeof key === 'string' ? (this.byKey[key] ?? null) : null;
  }
}

@Module({ providers: [Users], exports: [Users] })
class UsersModule {}

@Controller('hello')
class HelloController {
  @Get()
  hello() {
    return { hello: 'world' };
  }
}

describe('SagaAdminModule.forRootAsync with an authorize callback', () => {
  let db: TestDatabase;
  let app: INestApplication;

  beforeAll(async () => {
    db = await createTestDatabase('saga_admin_auth');
    const module = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: db.url, entities: sagaEntities, migrations: sagaMigrations, migrationsRun: true, retryAttempts: 0 }),
        ScheduleModule.forRoot(),
        SagaModule.forRoot({ pollIntervalMs: 50, leaseMs: 10_000, shutdownTimeoutMs: 2_000 }),
        SagaAdminModule.forRootAsync({
          imports: [UsersModule],
          inject: [Users],
          useFactory: async (users: Users) => ({ path: '/internal/sagas', auth: { authorize: async (req) => users.find(req) } }),
        }),
      ],
      controllers: [HelloController],
      providers: [WaitStep, WaitingSaga],
    }).compile();
    app = module.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const api = '/internal/sagas/api';

  it('answers 401 when authorize returns null, with the API error body', async () => {
    const res = await request(app.getHttpServer()).get(`${api}/sagas`).set('x-user-key', 'nobody');
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHORIZED' });
    expect((await request(app.getHttpServer()).get(`${api}/sagas`)).status).toBe(401);
  });

  it('lets a viewer read and answers 403 when a viewer acts', async () => {
    const list = await request(app.getHttpServer()).get(`${api}/sagas`).set('x-user-key', 'key-bob');
    expect(list.status).toBe(200);
    expect((await request(app.getHttpServer()).get(`${api}/whoami`).set('x-user-key', 'key-bob')).body).toEqual({ role: 'viewer', actor: 'bob@example.com' });
    const start = await request(app.getHttpServer()).post(`${api}/sagas`).set('x-user-key', 'key-bob').send({ name: 'waiting', input: {} });
    expect(start.status).toBe(403);
    expect(start.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
  });

  it("records the operator's actor, not the role, in the saga's history", async () => {
    const started = await request(app.getHttpServer()).post(`${api}/sagas`).set('x-user-key', 'key-alice').send({ name: 'waiting', input: {} });
    expect(started.status).toBe(201);
    const cancelled = await request(app.getHttpServer())
      .post(`${api}/sagas/${started.body.id}/cancel`)
      .set('x-user-key', 'key-alice')
      .send({ reason: 'customer called' });
    expect(cancelled.status).toBe(202);
    const deadline = Date.now() + 20_000;
    let detail = cancelled.body;
    while (detail.status !== 'CANCELLED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      detail = (await request(app.getHttpServer()).get(`${api}/sagas/${started.body.id}`).set('x-user-key', 'key-bob')).body;
    }
    expect(detail.status).toBe('CANCELLED');
    const byAlice = detail.events.filter((e: { actor?: string }) => e.actor === 'alice@example.com');
    expect(byAlice.length).toBeGreaterThan(0);
    expect(byAlice.some((e: { reason?: string }) => e.reason === 'customer called')).toBe(true);
    expect(detail.events.some((e: { actor?: string }) => e.actor === 'operator')).toBe(false);
  });

  it("leaves the host's own routes alone: no auth, no console error bodies", async () => {
    expect((await request(app.getHttpServer()).get('/hello')).body).toEqual({ hello: 'world' });
    const missing = await request(app.getHttpServer()).get('/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBeUndefined();
  });

  it('mounts the API at the path the async factory returned', async () => {
    expect((await request(app.getHttpServer()).get(`${api}/health`)).body).toEqual({ status: 'ok', database: 'up' });
    expect((await request(app.getHttpServer()).get('/saga-admin/api/health')).status).toBe(404);
  });
});
