/**
 * Input of the demo `order` saga, and the class-validator DTO that `POST /api/sagas` checks it
 * against (unknown fields refused, the offending path named).
 */
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';

export const ORDER_SAGA = 'order';
/** The name the README's tour gives a saga composed at run time from the order's steps. */
export const EXPRESS_ORDER_SAGA = 'express-order';
export const ORDER_STEPS = ['check-inventory', 'reserve-inventory', 'process-payment', 'create-shipment'] as const;
export type OrderStepName = (typeof ORDER_STEPS)[number];
/** Steps that have a compensation (check-inventory changes nothing). */
export const COMPENSABLE_ORDER_STEPS = ['reserve-inventory', 'process-payment', 'create-shipment'] as const;

export interface OrderItem {
  sku: string;
  qty: number;
}

/** Failure injection, to watch retries, compensation and operator actions on real rows. */
export interface OrderSimulation {
  /** Step that fails on every attempt (fails for good). */
  failAt?: OrderStepName;
  /** `{ step: n }`: the step fails n times, then succeeds. */
  failTimes?: Partial<Record<OrderStepName, number>>;
  /** Step whose compensation fails on every attempt (the saga ends FAILED). */
  failCompensationAt?: OrderStepName;
  /** `{ step: n }`: the step's compensation fails n times, then succeeds. */
  failCompensationTimes?: Partial<Record<OrderStepName, number>>;
  /** `{ step: ms }`: the step waits this long before working (aborted with the attempt). */
  delayMs?: Partial<Record<OrderStepName, number>>;
}

export interface OrderInput {
  orderId: string;
  customerId: string;
  items: OrderItem[];
  totalAmount: number;
  simulate?: OrderSimulation;
}

/** An object whose keys are order step names and whose values are integers in [0, max]. */
function IsStepMap(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStepMap',
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.entries(value).every(
            ([k, v]) => (ORDER_STEPS as readonly string[]).includes(k) && Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max,
          ),
        defaultMessage: (args) =>
          `${args?.property} must map step names (${ORDER_STEPS.join(', ')}) to integers from 0 to ${max}`,
      },
    },
    options,
  );
}

export class OrderItemDto implements OrderItem {
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'sku must be 1-64 letters, digits, "-" or "_"' })
  sku: string;

  @IsInt()
  @Min(1)
  @Max(10_000)
  qty: number;
}

export class OrderSimulationDto implements OrderSimulation {
  @IsOptional()
  @IsIn(ORDER_STEPS as unknown as string[], { message: `failAt must be one of ${ORDER_STEPS.join(', ')}` })
  failAt?: OrderStepName;

  @IsOptional()
  @IsStepMap(100)
  failTimes?: Partial<Record<OrderStepName, number>>;

  @IsOptional()
  @IsIn(COMPENSABLE_ORDER_STEPS as unknown as string[], {
    message: `failCompensationAt must be one of ${COMPENSABLE_ORDER_STEPS.join(', ')}`,
  })
  failCompensationAt?: OrderStepName;

  @IsOptional()
  @IsStepMap(100)
  failCompensationTimes?: Partial<Record<OrderStepName, number>>;

  @IsOptional()
  @IsStepMap(120_000)
  delayMs?: Partial<Record<OrderStepName, number>>;
}

export class OrderInputDto implements OrderInput {
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  orderId: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  customerId: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => OrderItemDto)
  items: OrderItemDto[];

  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(0)
  @Max(1_000_000_000)
  totalAmount: number;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => OrderSimulationDto)
  simulate?: OrderSimulationDto;
}

/** Quantities per SKU, summed over repeated lines and sorted by SKU (the lock order itself is taken in SQL: stock-ledger.ts). */
export function quantitiesBySku(items: readonly OrderItem[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const { sku, qty } of items) totals.set(sku, (totals.get(sku) ?? 0) + qty);
  return [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
