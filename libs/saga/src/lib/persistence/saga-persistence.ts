import { SagaBulkActionItemEntity } from './entities/saga-bulk-action-item.entity.js';
import { SagaBulkActionEntity } from './entities/saga-bulk-action.entity.js';
import { SagaEventEntity } from './entities/saga-event.entity.js';
import { SagaInstanceEntity } from './entities/saga-instance.entity.js';
import { SagaStepPauseEntity } from './entities/saga-step-pause.entity.js';
import { CreateSagaTables1764000000000 } from './migrations/1764000000000-create-saga-tables.js';
import { IndexIdempotencyKeyPrefix1764500000000 } from './migrations/1764500000000-index-idempotency-key-prefix.js';
import { AddSagaPlan1766000000000 } from './migrations/1766000000000-add-saga-plan.js';
import { AddSagaTraceContext1795800000000 } from './migrations/1795800000000-add-saga-trace-context.js';
import { CreateSagaBulkActions1768000000000 } from './migrations/1768000000000-create-saga-bulk-actions.js';
import { CreateSagaStepPauses1796000000000 } from './migrations/1796000000000-create-saga-step-pauses.js';
import { AddSagaLastWrite1797000000000 } from './migrations/1797000000000-add-saga-last-write.js';

/**
 * Add to `TypeOrmModule.forRoot({ entities })`. They describe exactly what `sagaMigrations` create,
 * so `typeorm migration:generate` on a migrated database finds no change for the saga tables.
 * `synchronize: true` also builds them (same indexes); keep it to tests and demos: it ignores the
 * table's fillfactor and the DESC order of the list indexes, and it is no upgrade path.
 */
export const sagaEntities = [SagaInstanceEntity, SagaEventEntity, SagaBulkActionEntity, SagaBulkActionItemEntity, SagaStepPauseEntity];
/**
 * Add to `TypeOrmModule.forRoot({ migrations })` and run them (`migrationsRun: true` or your CLI).
 * The production way to create and upgrade the saga tables; later versions add migrations, never
 * edit shipped ones.
 */
export const sagaMigrations = [
  CreateSagaTables1764000000000,
  IndexIdempotencyKeyPrefix1764500000000,
  AddSagaPlan1766000000000,
  CreateSagaBulkActions1768000000000,
  AddSagaTraceContext1795800000000,
  CreateSagaStepPauses1796000000000,
  AddSagaLastWrite1797000000000,
];
