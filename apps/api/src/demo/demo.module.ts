/** The demo that ships with the api (SPEC §6): the `order` saga, its tables and the ledger route. */
import { Module, type OnModuleInit } from '@nestjs/common';
import { SagaInputValidators } from '@nest-saga/admin';
import { DemoLedgerController, DemoLedgerService } from './demo-ledger.js';
import { DemoSimulator } from './demo-simulator.service.js';
import { ORDER_SAGA, OrderInputDto } from './order-input.js';
import { OrderSaga } from './order.saga.js';
import { ORDER_STEP_CLASSES } from './order.steps.js';

export { demoEntities } from './demo.entities.js';
export { DemoSchema1767312000000 } from './demo-schema.migration.js';

@Module({
  controllers: [DemoLedgerController],
  providers: [DemoSimulator, DemoLedgerService, ...ORDER_STEP_CLASSES, OrderSaga],
})
export class DemoModule implements OnModuleInit {
  constructor(private readonly inputs: SagaInputValidators) {}

  onModuleInit(): void {
    this.inputs.register(ORDER_SAGA, OrderInputDto);
  }
}
