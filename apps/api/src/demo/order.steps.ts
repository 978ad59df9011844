/**
 * The four steps of the demo `order` saga. The ledger steps (`reserve-inventory`, `create-shipment`)
 * are transactional: they write through `ctx.manager`, in the transaction that also records their
 * checkpoint, so their rows exist exactly once for a step that completed and never for one that did
 * not, across retries, timeouts and kill -9, with no idempotency code of their own. Stock and
 * reservation rows change only through `stock-ledger.ts`, which keeps one lock order and short
 * transactions. Payments go through the demo's payment service, over HTTP (`payment-service.ts`),
 * which cannot share a transaction: that step sends `ctx.idempotencyKey` instead. The steps also serve sagas composed
 * at run time (`express-order` in the README): `process-payment` and `create-shipment` read their
 * `ctx.params`, and `create-shipment` requires `reserve-inventory`.
 */
import { InjectDataSource } from '@nestjs/typeorm';
import { NonRetryableStepError, SagaStep, type SagaStepHandler, type StepContext } from '@nest-saga/saga';
import { DataSource } from 'typeorm';
import { DemoSimulator } from './demo-simulator.service.js';
import { DemoPaymentLink } from './payment-service.js';
import { quantitiesBySku, type OrderInput } from './order-input.js';
import { consumeHolds, holdStock, releaseStock, restoreHolds } from './stock-ledger.js';

/** At least 3 attempts and a first retry within 200 ms (SPEC §6), for steps and compensations. */
const DEMO_RETRY = { maxAttempts: 3, initialDelayMs: 100, backoffCoefficient: 2, maxDelayMs: 1_000, jitter: 0.2 };
const DEMO_STEP_OPTIONS = { timeoutMs: 10_000, retry: DEMO_RETRY, compensationTimeoutMs: 10_000, compensationRetry: DEMO_RETRY };

export interface InventoryCheck {
  available: Record<string, number>;
}
export interface ReservationResult {
  reservationKey: string;
  items: { sku: string; qty: number }[];
}
export interface PaymentResult {
  paymentId: string;
  amount: number;
}
export interface ShipmentResult {
  shipmentId: string;
  carrier: string;
}

/** `process-payment` params: a surcharge added to the order's total (an express fee). */
export interface PaymentParams {
  surcharge?: number;
}
/** `create-shipment` params: the carrier. */
export interface ShipmentParams {
  carrier?: 'standard' | 'express';
}

function surchargeOf(ctx: StepContext): number {
  const { surcharge = 0 } = ctx.params as PaymentParams;
  if (typeof surcharge !== 'number' || !Number.isFinite(surcharge) || surcharge < 0 || surcharge > 10_000) {
    throw new NonRetryableStepError(`process-payment: params.surcharge must be a number from 0 to 10000 (got ${JSON.stringify(surcharge)}).`);
  }
  return surcharge;
}

function carrierOf(ctx: StepContext): string {
  const { carrier = 'standard' } = ctx.params as ShipmentParams;
  if (carrier !== 'standard' && carrier !== 'express') {
    throw new NonRetryableStepError(`create-shipment: params.carrier must be "standard" or "express" (got ${JSON.stringify(carrier)}).`);
  }
  return carrier;
}

@SagaStep('check-inventory', DEMO_STEP_OPTIONS)
export class CheckInventoryStep implements SagaStepHandler<OrderInput, InventoryCheck> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly simulator: DemoSimulator,
  ) {}

  async execute(input: OrderInput, ctx: StepContext): Promise<InventoryCheck> {
    await this.simulator.beforeExecute(input, ctx);
    const wanted = quantitiesBySku(input.items);
    const rows: { sku: string; available: number }[] = await this.db.query(
      `SELECT "sku", "available" FROM "demo_stock" WHERE "sku" = ANY($1::varchar[])`,
      [wanted.map(([sku]) => sku)],
    );
    const available = Object.fromEntries(rows.map((r) => [r.sku, Number(r.available)]));
    for (const [sku, qty] of wanted) {
      if (!(sku in available)) throw new NonRetryableStepError(`Unknown SKU "${sku}": the demo stocks ITEM1, ITEM2 and ITEM3.`);
      if (available[sku] < qty) throw new NonRetryableStepError(`Not enough ${sku}: ${qty} wanted, ${available[sku]} available.`);
    }
    return { available };
  }
}

@SagaStep('reserve-inventory', { ...DEMO_STEP_OPTIONS, transactional: true })
export class ReserveInventoryStep implements SagaStepHandler<OrderInput, ReservationResult> {
  constructor(private readonly simulator: DemoSimulator) {}

  async execute(input: OrderInput, ctx: StepContext): Promise<ReservationResult> {
    await this.simulator.beforeExecute(input, ctx);
    const wanted = quantitiesBySku(input.items);
    await holdStock(ctx.manager, { sagaId: ctx.sagaId, orderId: input.orderId, idempotencyKey: ctx.idempotencyKey, items: wanted });
    return { reservationKey: ctx.idempotencyKey, items: wanted.map(([sku, qty]) => ({ sku, qty })) };
  }

  /** Releases the holds and returns their stock. */
  async compensate(input: OrderInput, _output: ReservationResult | undefined, ctx: StepContext): Promise<void> {
    await this.simulator.beforeCompensate(input, ctx);
    // A CONSUMED hold here means the shipment's compensation was resolved by hand: release it too.
    const skus = quantitiesBySku(input.items).map(([sku]) => sku);
    await releaseStock(ctx.manager, ctx.idempotencyKey, skus);
  }
}

@SagaStep('process-payment', DEMO_STEP_OPTIONS)
export class ProcessPaymentStep implements SagaStepHandler<OrderInput, PaymentResult> {
  constructor(
    private readonly link: DemoPaymentLink,
    private readonly simulator: DemoSimulator,
  ) {}

  /**
   * Charges through the payment service over HTTP. `ctx.http` sends `Idempotency-Key:
   * ctx.idempotencyKey` (the service charges once per key), retries no answer and 5xx, and turns a
   * refusal (409: the order is charged by another saga) into a failure with no retry.
   */
  async execute(input: OrderInput, ctx: StepContext): Promise<PaymentResult> {
    await this.simulator.beforeExecute(input, ctx);
    const amount = Math.round((input.totalAmount + surchargeOf(ctx)) * 100) / 100;
    const charge = await ctx.http.post<{ paymentId: string; amount: number }>(
      `${await this.link.baseUrl(ctx.signal)}/api/demo/payment-service/charges`,
      { orderId: input.orderId, sagaId: ctx.sagaId, amount },
      { headers: { authorization: `Bearer ${this.link.token}` } },
    );
    return { paymentId: charge.paymentId, amount: charge.amount };
  }

  /** Refunds the charge made under this step's key, whether or not its answer ever came back. */
  async compensate(input: OrderInput, _output: PaymentResult | undefined, ctx: StepContext): Promise<void> {
    await this.simulator.beforeCompensate(input, ctx);
    await ctx.http.post(
      `${await this.link.baseUrl(ctx.signal)}/api/demo/payment-service/refunds`,
      { chargeKey: ctx.idempotencyKey },
      { headers: { authorization: `Bearer ${this.link.token}` } },
    );
  }
}

// It consumes the stock holds that reserve-inventory made: no saga may run it without them.
@SagaStep('create-shipment', { ...DEMO_STEP_OPTIONS, requires: ['reserve-inventory'], transactional: true })
export class CreateShipmentStep implements SagaStepHandler<OrderInput, ShipmentResult> {
  constructor(private readonly simulator: DemoSimulator) {}

  async execute(input: OrderInput, ctx: StepContext): Promise<ShipmentResult> {
    await this.simulator.beforeExecute(input, ctx);
    const carrier = carrierOf(ctx);
    // A cancelled shipment of the order (its saga compensated) is taken over; a live one is another saga's.
    const rows: { id: string }[] = await ctx.manager.query(
      `INSERT INTO "demo_shipments" ("order_id", "saga_id", "status", "idempotency_key")
       VALUES ($1, $2, 'CREATED', $3)
       ON CONFLICT ("order_id") DO UPDATE
         SET "saga_id" = EXCLUDED."saga_id", "status" = 'CREATED', "idempotency_key" = EXCLUDED."idempotency_key", "updated_at" = now()
         WHERE "demo_shipments"."status" = 'CANCELLED'
       RETURNING "id"`,
      [input.orderId, ctx.sagaId, ctx.idempotencyKey],
    );
    if (rows.length === 0) throw new NonRetryableStepError(`Order "${input.orderId}" already has a shipment from another saga.`);
    await consumeHolds(ctx.manager, ctx.sagaId);
    return { shipmentId: rows[0].id, carrier };
  }

  /** Cancels the shipment and puts its stock back on hold (reserve-inventory's compensation releases it). */
  async compensate(input: OrderInput, _output: ShipmentResult | undefined, ctx: StepContext): Promise<void> {
    await this.simulator.beforeCompensate(input, ctx);
    await ctx.manager.query(
      `UPDATE "demo_shipments" SET "status" = 'CANCELLED', "updated_at" = now() WHERE "idempotency_key" = $1 AND "status" = 'CREATED'`,
      [ctx.idempotencyKey],
    );
    await restoreHolds(ctx.manager, ctx.sagaId);
  }
}

export const ORDER_STEP_CLASSES = [CheckInventoryStep, ReserveInventoryStep, ProcessPaymentStep, CreateShipmentStep];
