/**
 * The demo's own tables: the effects of the `order` saga, as real rows. Every effect row carries the
 * idempotency key of the step that made it (unique), so a repeated attempt finds its row instead of
 * making a second one. Stock changes and reservation rows change in one transaction, so
 * `seeded = available + held + consumed` holds for every SKU at every moment.
 */
import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type ReservationStatus = 'HELD' | 'RELEASED' | 'CONSUMED';
export type PaymentStatus = 'CHARGED' | 'REFUNDED';
export type ShipmentStatus = 'CREATED' | 'CANCELLED';

const numeric = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity({ name: 'demo_stock' })
export class DemoStock {
  @PrimaryColumn({ name: 'sku', type: 'varchar', length: 64 })
  sku: string;

  @Column({ name: 'available', type: 'integer' })
  available: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity({ name: 'demo_reservations' })
@Index('uq_demo_reservations_key_sku', ['idempotencyKey', 'sku'], { unique: true })
export class DemoReservation {
  @PrimaryGeneratedColumn('uuid', { name: 'id' })
  id: string;

  @Index('ix_demo_reservations_saga_id')
  @Column({ name: 'saga_id', type: 'uuid' })
  sagaId: string;

  @Index('ix_demo_reservations_order_id')
  @Column({ name: 'order_id', type: 'varchar', length: 200 })
  orderId: string;

  @Column({ name: 'sku', type: 'varchar', length: 64 })
  sku: string;

  @Column({ name: 'qty', type: 'integer' })
  qty: number;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: ReservationStatus;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 300 })
  idempotencyKey: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity({ name: 'demo_payments' })
export class DemoPayment {
  @PrimaryGeneratedColumn('uuid', { name: 'id' })
  id: string;

  /** One payment per order: a refunded one is taken over by a later saga of the same order. */
  @Index('uq_demo_payments_order_id', { unique: true })
  @Column({ name: 'order_id', type: 'varchar', length: 200 })
  orderId: string;

  @Column({ name: 'saga_id', type: 'uuid' })
  sagaId: string;

  @Column({ name: 'amount', type: 'numeric', precision: 12, scale: 2, transformer: numeric })
  amount: number;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: PaymentStatus;

  @Index('uq_demo_payments_idempotency_key', { unique: true })
  @Column({ name: 'idempotency_key', type: 'varchar', length: 300 })
  idempotencyKey: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

@Entity({ name: 'demo_shipments' })
export class DemoShipment {
  @PrimaryGeneratedColumn('uuid', { name: 'id' })
  id: string;

  /** One shipment per order: a cancelled one is taken over by a later saga of the same order. */
  @Index('uq_demo_shipments_order_id', { unique: true })
  @Column({ name: 'order_id', type: 'varchar', length: 200 })
  orderId: string;

  @Column({ name: 'saga_id', type: 'uuid' })
  sagaId: string;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: ShipmentStatus;

  @Index('uq_demo_shipments_idempotency_key', { unique: true })
  @Column({ name: 'idempotency_key', type: 'varchar', length: 300 })
  idempotencyKey: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** How often a simulated failure has fired, per saga, step and phase, so `failTimes` survives retries and restarts. */
@Entity({ name: 'demo_simulated_failures' })
export class DemoSimulatedFailure {
  @PrimaryColumn({ name: 'saga_id', type: 'uuid' })
  sagaId: string;

  @PrimaryColumn({ name: 'step', type: 'varchar', length: 100 })
  step: string;

  @PrimaryColumn({ name: 'phase', type: 'varchar', length: 16 })
  phase: 'execute' | 'compensate';

  @Column({ name: 'attempts', type: 'integer' })
  attempts: number;
}

export const demoEntities = [DemoStock, DemoReservation, DemoPayment, DemoShipment, DemoSimulatedFailure];
