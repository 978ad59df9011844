/**
 * A step that calls another service through `ctx.http`: its retries reach the service with one
 * idempotency key, so a service that deduplicates by that key charges once, however often the
 * answer is lost; a refusal (4xx) fails the step for good and the saga compensates.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { Saga, SagaDefinition, SagaService, SagaStep, type SagaStepHandler, type StepContext } from '../src/index.js';
import { bootSagaApp } from './support/saga-app.js';

/** A payment service that deduplicates by Idempotency-Key, with a switch for outages. */
class FakePaymentService {
  readonly calls: { key: string | undefined; answered: number }[] = [];
  readonly charges = new Map<string, { id: string; amount: number }>();
  /** Next calls answer 503: 'before' the charge is written, or 'after' it (the answer is lost). */
  outages: ('before' | 'after')[] = [];
  /** Answer every call with this status and body (a refusal). */
  refuse: { status: number; body: string } | null = null;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const key = req.headers['idempotency-key'] as string | undefined;
        const answer = (status: number, payload: unknown) => {
          this.calls.push({ key, answered: status });
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
        };
        if (this.refuse) return answer(this.refuse.status, JSON.parse(this.refuse.body));
        if (!key) return answer(400, { message: 'Idempotency-Key is required' });
        const outage = this.outages.shift();
        if (outage === 'before') return answer(503, { message: 'payment service unavailable' });
        let charge = this.charges.get(key);
        if (!charge) {
          charge = { id: `ch_${this.charges.size + 1}`, amount: (JSON.parse(body) as { amount: number }).amount };
          this.charges.set(key, charge);
        }
        if (outage === 'after') return answer(503, { message: 'payment service unavailable after charging' });
        answer(201, charge);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

const payments = new FakePaymentService();

@Injectable()
class Released {
  readonly orders: string[] = [];
}

interface PayInput {
  orderId: string;
  amount: number;
}

@SagaStep('hold-funds')
class HoldFundsStep implements SagaStepHandler<PayInput, void> {
  constructor(private readonly released: Released) {}
  execute() {}
  compensate(input: PayInput) {
    this.released.orders.push(input.orderId);
  }
}

@SagaStep('charge-card', { retry: { maxAttempts: 4, initialDelayMs: 10, jitter: 0 } })
class ChargeCardStep implements SagaStepHandler<PayInput, { id: string; amount: number }> {
  execute(input: PayInput, ctx: StepContext) {
    return ctx.http.post<{ id: string; amount: number }>(`${payments.url}/charges`, { orderId: input.orderId, amount: input.amount });
  }
}

@Saga('pay', { steps: [HoldFundsStep, ChargeCardStep] })
class PaySaga extends SagaDefinition<PayInput> {}

@Module({ providers: [Released, HoldFundsStep, ChargeCardStep, PaySaga] })
class PayModule {}

let db: TestDatabase;
let app: INestApplication;

beforeAll(async () => {
  await payments.start();
  db = await createTestDatabase('saga_http');
  app = await bootSagaApp(db.url, { imports: [PayModule] });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
  await payments.stop();
});

describe('HTTP steps (ctx.http)', () => {
  it('retries a 503 with one idempotency key and charges once, even when an answer was lost after the charge', async () => {
    payments.outages = ['before', 'after'];
    const handle = await app.get(SagaService).start(PaySaga, { orderId: 'o-1', amount: 12.5 });
    const done = await handle.result({ timeoutMs: 15_000 });
    expect(done.status).toBe('COMPLETED');
    const step = done.steps.find((s) => s.name === 'charge-card')!;
    expect(step.attempts).toBe(3);
    expect(step.output).toEqual({ id: 'ch_1', amount: 12.5 });
    const key = `${handle.sagaId}:charge-card`;
    expect(payments.calls).toEqual([
      { key, answered: 503 },
      { key, answered: 503 },
      { key, answered: 201 },
    ]);
    expect([...payments.charges.keys()]).toEqual([key]);
    const failures = done.events.filter((e) => e.type === 'STEP_FAILED').map((e) => e.error);
    expect(failures).toEqual([
      expect.objectContaining({ code: 'HTTP_REQUEST_FAILED', message: expect.stringMatching(/^POST http:\/\/127\.0\.0\.1:\d+\/charges answered 503 Service Unavailable: \{"message":"payment service unavailable"\}/) }),
      expect.objectContaining({ code: 'HTTP_REQUEST_FAILED', message: expect.stringContaining('unavailable after charging') }),
    ]);
  });

  it('fails the step for good on a 4xx, with the status and the body in the error, and compensates the saga', async () => {
    payments.calls.length = 0;
    payments.refuse = { status: 402, body: JSON.stringify({ message: 'card declined' }) };
    const handle = await app.get(SagaService).start(PaySaga, { orderId: 'o-2', amount: 3 });
    const done = await handle.result({ timeoutMs: 15_000 });
    payments.refuse = null;
    expect(done.status).toBe('COMPENSATED');
    const step = done.steps.find((s) => s.name === 'charge-card')!;
    expect(step.attempts).toBe(1);
    expect(step.error).toMatchObject({ code: 'HTTP_REQUEST_REJECTED', message: expect.stringMatching(/answered 402 Payment Required: \{"message":"card declined"\}/) });
    expect(payments.calls).toHaveLength(1);
    expect(app.get(Released).orders).toEqual(['o-2']);
  });
});
