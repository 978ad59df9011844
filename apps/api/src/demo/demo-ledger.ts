/** `GET /api/demo/ledger`: the demo's effects as they stand, to check the saga guarantees by hand. */
import { Controller, Get, Injectable, Query, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { SagaAdminAuthGuard, SagaAdminExceptionFilter, ViewerRoute } from '@nest-saga/admin';
import type { PaymentStatus, ReservationStatus, ShipmentStatus } from './demo.entities.js';

export class LedgerStockModel {
  @ApiProperty({ example: 'ITEM1' }) sku: string;
  @ApiProperty({ example: 9998 }) available: number;
}
export class LedgerReservationModel {
  @ApiProperty() orderId: string;
  @ApiProperty() sku: string;
  @ApiProperty() qty: number;
  @ApiProperty({ enum: ['HELD', 'RELEASED', 'CONSUMED'] }) status: ReservationStatus;
}
export class LedgerPaymentModel {
  @ApiProperty() orderId: string;
  @ApiProperty({ example: 59.9 }) amount: number;
  @ApiProperty({ enum: ['CHARGED', 'REFUNDED'] }) status: PaymentStatus;
}
export class LedgerShipmentModel {
  @ApiProperty() orderId: string;
  @ApiProperty({ enum: ['CREATED', 'CANCELLED'] }) status: ShipmentStatus;
}
export class LedgerModel {
  @ApiProperty({ type: [LedgerStockModel] }) stock: LedgerStockModel[];
  @ApiProperty({ type: [LedgerReservationModel] }) reservations: LedgerReservationModel[];
  @ApiProperty({ type: [LedgerPaymentModel] }) payments: LedgerPaymentModel[];
  @ApiProperty({ type: [LedgerShipmentModel] }) shipments: LedgerShipmentModel[];
}

export class LedgerQueryDto {
  @ApiPropertyOptional({ description: 'Only the rows of this order (stock is always listed in full).' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  orderId?: string;
}

@Injectable()
export class DemoLedgerService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One consistent snapshot: the four reads share a REPEATABLE READ transaction. */
  async ledger(orderId?: string): Promise<LedgerModel> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const filter = orderId === undefined ? '' : 'WHERE "order_id" = $1';
      const params = orderId === undefined ? [] : [orderId];
      const stock: { sku: string; available: number }[] = await tx.query(`SELECT "sku", "available" FROM "demo_stock" ORDER BY "sku"`);
      const reservations: { order_id: string; sku: string; qty: number; status: ReservationStatus }[] = await tx.query(
        `SELECT "order_id", "sku", "qty", "status" FROM "demo_reservations" ${filter} ORDER BY "created_at", "order_id", "sku"`,
        params,
      );
      const payments: { order_id: string; amount: string; status: PaymentStatus }[] = await tx.query(
        `SELECT "order_id", "amount", "status" FROM "demo_payments" ${filter} ORDER BY "created_at", "order_id"`,
        params,
      );
      const shipments: { order_id: string; status: ShipmentStatus }[] = await tx.query(
        `SELECT "order_id", "status" FROM "demo_shipments" ${filter} ORDER BY "created_at", "order_id"`,
        params,
      );
      return {
        stock: stock.map((r) => ({ sku: r.sku, available: Number(r.available) })),
        reservations: reservations.map((r) => ({ orderId: r.order_id, sku: r.sku, qty: Number(r.qty), status: r.status })),
        payments: payments.map((r) => ({ orderId: r.order_id, amount: Number(r.amount), status: r.status })),
        shipments: shipments.map((r) => ({ orderId: r.order_id, status: r.status })),
      };
    });
  }
}

@ApiTags('demo')
@ApiBearerAuth()
@UseGuards(SagaAdminAuthGuard)
@UseFilters(SagaAdminExceptionFilter)
@Controller('api/demo/ledger')
export class DemoLedgerController {
  constructor(private readonly ledger: DemoLedgerService) {}

  @Get()
  @ViewerRoute()
  @ApiOperation({ summary: 'Stock, reservations, payments and shipments written by the demo order saga.' })
  @ApiOkResponse({ type: LedgerModel })
  get(@Query() query: LedgerQueryDto): Promise<LedgerModel> {
    return this.ledger.ledger(query.orderId);
  }
}
