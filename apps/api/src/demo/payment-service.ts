/**
 * The demo's payment service: a small service of its own in the same app, which the
 * `process-payment` step calls over HTTP (`ctx.http`), as it would call a payment provider. It
 * deduplicates charges by `Idempotency-Key` (one row per key in `demo_payments`), so a step retried
 * after a lost answer charges once. Only the demo's own steps may call it (a token made at start).
 */
import { Body, Controller, Headers, HttpCode, Injectable, Logger, Post, UseFilters, type CanActivate, type ExecutionContext, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiExcludeController } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiException, SagaAdminExceptionFilter } from '@nest-saga/admin';
import { DataSource } from 'typeorm';
import { timingSafeEqual } from 'node:crypto';

/** Where the steps reach the payment service, and the token it accepts. */
export class DemoPaymentLink {
  private resolved: string | null;
  private readonly waiters: ((url: string) => void)[] = [];

  constructor(
    baseUrl: string | undefined,
    /** Bearer token the payment service accepts (and the steps send). */
    readonly token: string,
  ) {
    this.resolved = baseUrl ? baseUrl.replace(/\/+$/, '') : null;
  }

  /** The app's own address, known once it listens (when no URL was configured). */
  resolve(baseUrl: string): void {
    if (this.resolved) return;
    this.resolved = baseUrl.replace(/\/+$/, '');
    for (const waiter of this.waiters.splice(0)) waiter(this.resolved);
  }

  /** The base URL; a step that runs before the app listens (resumed at bootstrap) waits for it, or for its signal. */
  baseUrl(signal?: AbortSignal): Promise<string> {
    if (this.resolved) return Promise.resolve(this.resolved);
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push((url) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(url);
      });
    });
  }
}

export type DemoPaymentOutage = 'before-charge' | 'after-charge';

/**
 * An outage switch, for trying retries by hand or in tests: the next charges answer 503, either
 * before the charge is written or after it (the answer is lost, the money is taken).
 */
@Injectable()
export class DemoPaymentOutages {
  private readonly planned: DemoPaymentOutage[] = [];

  failNext(...outages: DemoPaymentOutage[]): void {
    this.planned.push(...outages);
  }

  take(): DemoPaymentOutage | undefined {
    return this.planned.shift();
  }
}

export interface DemoCharge {
  paymentId: string;
  orderId: string;
  amount: number;
  status: 'CHARGED' | 'REFUNDED';
}

@Injectable()
export class DemoPaymentService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Charges an order once per key: the same key gives the same charge back; a charged order refuses another key. */
  async charge(key: string, charge: { orderId: string; sagaId: string; amount: number }): Promise<DemoCharge | null> {
    // One payment row per order: ours again (same key), or a refunded one taken over.
    const rows: { id: string; amount: string; status: 'CHARGED' | 'REFUNDED' }[] = await this.db.query(
      `INSERT INTO "demo_payments" ("order_id", "saga_id", "amount", "status", "idempotency_key")
       VALUES ($1, $2, $3, 'CHARGED', $4)
       ON CONFLICT ("order_id") DO UPDATE
         SET "saga_id" = EXCLUDED."saga_id", "amount" = EXCLUDED."amount", "status" = 'CHARGED',
             "idempotency_key" = EXCLUDED."idempotency_key", "updated_at" = now()
         WHERE "demo_payments"."idempotency_key" = EXCLUDED."idempotency_key" OR "demo_payments"."status" = 'REFUNDED'
       RETURNING "id", "amount", "status"`,
      [charge.orderId, charge.sagaId, charge.amount, key],
    );
    return rows.length ? { paymentId: rows[0].id, orderId: charge.orderId, amount: Number(rows[0].amount), status: rows[0].status } : null;
  }

  /** Refunds the charge made with `chargeKey`, if it is still charged; true when this call refunded it. */
  async refund(chargeKey: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `UPDATE "demo_payments" SET "status" = 'REFUNDED', "updated_at" = now() WHERE "idempotency_key" = $1 AND "status" = 'CHARGED' RETURNING "id"`,
      [chargeKey],
    );
    return rows.length > 0;
  }
}

@Injectable()
export class DemoPaymentTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(link: DemoPaymentLink) {
    this.expected = Buffer.from(`Bearer ${link.token}`);
  }

  canActivate(context: ExecutionContext): boolean {
    const given = Buffer.from(String(context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization ?? ''));
    if (given.length === this.expected.length && timingSafeEqual(given, this.expected)) return true;
    throw new ApiException(401, 'UNAUTHORIZED', 'The payment service accepts only the demo steps of this app (their bearer token).');
  }
}

function idempotencyKey(value: string | undefined): string {
  if (!value || value.length > 300) {
    throw new ApiException(400, 'VALIDATION_FAILED', 'An Idempotency-Key header of 1 to 300 characters is required.', 'Idempotency-Key');
  }
  return value;
}

function text(body: Record<string, unknown>, field: string): string {
  const value = body?.[field];
  if (typeof value !== 'string' || value.length === 0 || value.length > 200 || value.includes('\u0000')) {
    throw new ApiException(400, 'VALIDATION_FAILED', `${field} must be a string of 1 to 200 characters.`, field);
  }
  return value;
}

/** Internal to the demo (not the admin API): left out of the OpenAPI document. */
@ApiExcludeController()
@ApiBearerAuth()
@UseGuards(DemoPaymentTokenGuard)
@UseFilters(SagaAdminExceptionFilter)
@Controller('api/demo/payment-service')
export class DemoPaymentController {
  private readonly logger = new Logger('DemoPaymentService');

  constructor(
    private readonly payments: DemoPaymentService,
    private readonly outages: DemoPaymentOutages,
  ) {}

  @Post('charges')
  @HttpCode(201)
  async charge(@Headers('idempotency-key') key: string | undefined, @Body() body: Record<string, unknown>): Promise<DemoCharge> {
    const idempotency = idempotencyKey(key);
    const orderId = text(body, 'orderId');
    const sagaId = text(body, 'sagaId');
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(sagaId)) throw new ApiException(400, 'VALIDATION_FAILED', 'sagaId must be a UUID.', 'sagaId');
    const amount = body?.amount;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) throw new ApiException(400, 'VALIDATION_FAILED', 'amount must be a number of at least 0.', 'amount');
    const outage = this.outages.take();
    if (outage === 'before-charge') throw this.unavailable(idempotency, 'before charging');
    const charged = await this.payments.charge(idempotency, { orderId, sagaId, amount });
    if (!charged) throw new ApiException(409, 'PAYMENT_CONFLICT', `Order "${orderId}" is already charged by another saga.`);
    if (outage === 'after-charge') throw this.unavailable(idempotency, 'after charging (the answer is lost)');
    return charged;
  }

  @Post('refunds')
  @HttpCode(200)
  async refund(@Body() body: Record<string, unknown>): Promise<{ refunded: boolean }> {
    return { refunded: await this.payments.refund(text(body, 'chargeKey')) };
  }

  private unavailable(key: string, when: string): ApiException {
    this.logger.warn(`Simulated outage ${when} for Idempotency-Key ${key}`);
    return new ApiException(503, 'PAYMENT_SERVICE_UNAVAILABLE', `Simulated outage of the payment service ${when} (Idempotency-Key ${key}).`);
  }
}
