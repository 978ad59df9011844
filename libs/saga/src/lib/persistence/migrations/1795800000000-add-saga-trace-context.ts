import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The trace a saga belongs to (W3C `traceparent` and `tracestate` of the span that started it), so
 * that every instance that runs the saga later adds its spans to the same trace. Nullable and
 * without a default: adding it rewrites no row, and sagas started before it simply have none.
 */
export class AddSagaTraceContext1795800000000 implements MigrationInterface {
  name = 'AddSagaTraceContext1795800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE saga_instances ADD COLUMN trace_context jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE saga_instances DROP COLUMN trace_context`);
  }
}
