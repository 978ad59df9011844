/** The demo that ships with the api (SPEC §6): the `order` saga, its tables, the ledger route and the payment service. */
import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { SagaInputValidators } from '@nest-saga/admin';
import { DemoLedgerController, DemoLedgerService } from './demo-ledger.js';
import { DemoSimulator } from './demo-simulator.service.js';
import { EXPRESS_ORDER_SAGA, ORDER_SAGA, OrderInputDto } from './order-input.js';
import { OrderSaga } from './order.saga.js';
import { ORDER_STEP_CLASSES } from './order.steps.js';
import { DemoPaymentController, DemoPaymentLink, DemoPaymentOutages, DemoPaymentService, DemoPaymentTokenGuard } from './payment-service.js';

export { demoEntities } from './demo.entities.js';
export { DemoSchema1767312000000 } from './demo-schema.migration.js';

export interface DemoModuleOptions {
  /** Base URL of the payment service the payment step calls; unset: this app's own, once it listens. */
  paymentServiceUrl?: string;
  /** Bearer token between the payment step and the payment service. */
  paymentServiceToken: string;
}

@Module({})
export class DemoModule implements OnModuleInit {
  constructor(private readonly inputs: SagaInputValidators) {}

  static forRoot(options: DemoModuleOptions): DynamicModule {
    return {
      module: DemoModule,
      controllers: [DemoLedgerController, DemoPaymentController],
      providers: [
        { provide: DemoPaymentLink, useValue: new DemoPaymentLink(options.paymentServiceUrl, options.paymentServiceToken) },
        DemoPaymentOutages,
        DemoPaymentService,
        DemoPaymentTokenGuard,
        DemoSimulator,
        DemoLedgerService,
        ...ORDER_STEP_CLASSES,
        OrderSaga,
      ],
    };
  }

  onModuleInit(): void {
    this.inputs.register(ORDER_SAGA, OrderInputDto);
    // The README's composed saga runs the order's steps: the same input, checked the same way.
    this.inputs.register(EXPRESS_ORDER_SAGA, OrderInputDto);
  }
}
