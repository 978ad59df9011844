import { Saga, SagaDefinition } from '@nest-saga/saga';
import { ORDER_SAGA, type OrderInput } from './order-input.js';
import { CheckInventoryStep, CreateShipmentStep, ProcessPaymentStep, ReserveInventoryStep } from './order.steps.js';

/** The demo order: check stock, hold it, charge, ship; undone in reverse when a step fails for good. */
@Saga(ORDER_SAGA, {
  steps: [CheckInventoryStep, ReserveInventoryStep, ProcessPaymentStep, CreateShipmentStep],
  timeoutMs: 600_000,
})
export class OrderSaga extends SagaDefinition<OrderInput> {}
