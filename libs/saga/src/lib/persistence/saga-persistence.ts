import { SagaEventEntity } from './entities/saga-event.entity.js';
import { SagaInstanceEntity } from './entities/saga-instance.entity.js';
import { CreateSagaTables1764000000000 } from './migrations/1764000000000-create-saga-tables.js';

/** Add to `TypeOrmModule.forRoot({ entities })`. */
export const sagaEntities = [SagaInstanceEntity, SagaEventEntity];
/** Add to `TypeOrmModule.forRoot({ migrations })` and run them (`migrationsRun: true` or your CLI). */
export const sagaMigrations = [CreateSagaTables1764000000000];
