import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Seeded once, when the demo tables are created. */
export const DEMO_SEED_STOCK: Readonly<Record<string, number>> = { ITEM1: 10_000, ITEM2: 10_000, ITEM3: 10_000 };

export class DemoSchema1767312000000 implements MigrationInterface {
  name = 'DemoSchema1767312000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "demo_stock" (
        "sku" varchar(64) NOT NULL,
        "available" integer NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_demo_stock" PRIMARY KEY ("sku"),
        CONSTRAINT "ck_demo_stock_available" CHECK ("available" >= 0)
      )`);
    await queryRunner.query(`
      CREATE TABLE "demo_reservations" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "saga_id" uuid NOT NULL,
        "order_id" varchar(200) NOT NULL,
        "sku" varchar(64) NOT NULL,
        "qty" integer NOT NULL,
        "status" varchar(16) NOT NULL,
        "idempotency_key" varchar(300) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_demo_reservations" PRIMARY KEY ("id"),
        CONSTRAINT "ck_demo_reservations_qty" CHECK ("qty" > 0)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_demo_reservations_key_sku" ON "demo_reservations" ("idempotency_key", "sku")`);
    await queryRunner.query(`CREATE INDEX "ix_demo_reservations_saga_id" ON "demo_reservations" ("saga_id")`);
    await queryRunner.query(`CREATE INDEX "ix_demo_reservations_order_id" ON "demo_reservations" ("order_id")`);
    await queryRunner.query(`
      CREATE TABLE "demo_payments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "order_id" varchar(200) NOT NULL,
        "saga_id" uuid NOT NULL,
        "amount" numeric(12,2) NOT NULL,
        "status" varchar(16) NOT NULL,
        "idempotency_key" varchar(300) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_demo_payments" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_demo_payments_order_id" ON "demo_payments" ("order_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_demo_payments_idempotency_key" ON "demo_payments" ("idempotency_key")`);
    await queryRunner.query(`
      CREATE TABLE "demo_shipments" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "order_id" varchar(200) NOT NULL,
        "saga_id" uuid NOT NULL,
        "status" varchar(16) NOT NULL,
        "idempotency_key" varchar(300) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "pk_demo_shipments" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_demo_shipments_order_id" ON "demo_shipments" ("order_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_demo_shipments_idempotency_key" ON "demo_shipments" ("idempotency_key")`);
    await queryRunner.query(`
      CREATE TABLE "demo_simulated_failures" (
        "saga_id" uuid NOT NULL,
        "step" varchar(100) NOT NULL,
        "phase" varchar(16) NOT NULL,
        "attempts" integer NOT NULL,
        CONSTRAINT "pk_demo_simulated_failures" PRIMARY KEY ("saga_id", "step", "phase")
      )`);
    for (const [sku, available] of Object.entries(DEMO_SEED_STOCK)) {
      await queryRunner.query(`INSERT INTO "demo_stock" ("sku", "available") VALUES ($1, $2) ON CONFLICT ("sku") DO NOTHING`, [sku, available]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['demo_simulated_failures', 'demo_shipments', 'demo_payments', 'demo_reservations', 'demo_stock']) {
      await queryRunner.query(`DROP TABLE IF EXISTS "${table}"`);
    }
  }
}
