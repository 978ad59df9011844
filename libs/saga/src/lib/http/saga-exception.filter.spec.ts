import { Controller, Get, Logger, NotFoundException, Post, UseFilters, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SAGA_ERROR_CODES } from '@nest-saga/contracts';
import {
  DuplicatePlanStepError,
  InvalidSagaTransitionError,
  PlanStepNotRegisteredError,
  SAGA_ERROR_HTTP_STATUS,
  SagaConfigurationError,
  SagaError,
  SagaExceptionFilter,
  SagaInputError,
  SagaNotFoundError,
  SagaQueryError,
} from '../../index.js';

const SAGA_ID = '6f1c1d3e-2b7a-4c1e-9d0f-1a2b3c4d5e6f';

/** A host app's own controller, calling the library the way a service would. */
@Controller('orders')
class OrdersController {
  @Get('missing')
  missing() {
    throw new SagaNotFoundError(SAGA_ID);
  }

  @Post('cancel')
  cancel() {
    throw new InvalidSagaTransitionError('cancel', 'COMPLETED', { sagaId: SAGA_ID, sagaName: 'order' });
  }

  @Get('conflict')
  conflict() {
    throw new SagaError(SAGA_ERROR_CODES.IDEMPOTENCY_KEY_CONFLICT, 'Idempotency key "o-1" was used with another input.');
  }

  @Get('bad-cursor')
  badCursor() {
    throw new SagaQueryError('The cursor is not one this API returned; start again without a cursor.', 'cursor');
  }

  @Post('bad-input')
  badInput() {
    throw new SagaInputError('The saga input must be JSON-serialisable.');
  }

  @Post('compose-twice')
  composeTwice() {
    throw new DuplicatePlanStepError('Saga "refund" lists step "pay" twice (steps[0] and steps[1]).', 'steps[1].step');
  }

  @Post('compose-unknown')
  composeUnknown() {
    throw new PlanStepNotRegisteredError('Saga "refund" lists step "nope" (steps[0]), which is not registered in this app.', 'steps[0].step');
  }

  @Get('database')
  database() {
    throw new SagaError(SAGA_ERROR_CODES.DATABASE_UNAVAILABLE, 'No database connection came in time.');
  }

  @Get('misconfigured')
  misconfigured() {
    throw new SagaConfigurationError('secret detail: password=hunter2 in postgres://db');
  }

  @Get('not-a-saga-error')
  other() {
    throw new NotFoundException('No such order.');
  }
}

@Controller('filtered')
@UseFilters(SagaExceptionFilter)
class FilteredController {
  @Get('missing')
  missing() {
    throw new SagaNotFoundError(SAGA_ID);
  }

  @Post('cancel')
  cancel() {
    throw new InvalidSagaTransitionError('cancel', 'COMPLETED', { sagaId: SAGA_ID, sagaName: 'order' });
  }
}

async function boot(module: Parameters<typeof Test.createTestingModule>[0]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(module).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('SagaExceptionFilter as the app filter (APP_FILTER)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await boot({ controllers: [OrdersController], providers: [{ provide: APP_FILTER, useClass: SagaExceptionFilter }] });
  });
  afterAll(() => app?.close());
  afterEach(() => vi.restoreAllMocks());

  it('answers an unknown saga thrown from a host controller with 404 SAGA_NOT_FOUND', async () => {
    const res = await request(app.getHttpServer()).get('/orders/missing').expect(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'SAGA_NOT_FOUND', message: `Saga ${SAGA_ID} does not exist.` });
  });

  it('answers an action the saga status does not allow with 409 INVALID_SAGA_TRANSITION', async () => {
    const res = await request(app.getHttpServer()).post('/orders/cancel').expect(409);
    expect(res.body).toEqual({ statusCode: 409, code: 'INVALID_SAGA_TRANSITION', message: `Cannot cancel saga "order" (id=${SAGA_ID}) while it is COMPLETED.` });
  });

  it('answers an idempotency key reused with another input with 409 IDEMPOTENCY_KEY_CONFLICT', async () => {
    const res = await request(app.getHttpServer()).get('/orders/conflict').expect(409);
    expect(res.body).toMatchObject({ statusCode: 409, code: 'IDEMPOTENCY_KEY_CONFLICT' });
  });

  it('answers a malformed query or input with 400 naming the field', async () => {
    const cursor = await request(app.getHttpServer()).get('/orders/bad-cursor').expect(400);
    expect(cursor.body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'The cursor is not one this API returned; start again without a cursor.',
      field: 'cursor',
    });
    const input = await request(app.getHttpServer()).post('/orders/bad-input').expect(400);
    expect(input.body).toEqual({ statusCode: 400, code: 'SAGA_INPUT_INVALID', message: 'The saga input must be JSON-serialisable.', field: 'input' });
  });

  it('answers a composition that cannot run with 400, or 404 for an unknown step, naming the entry at fault', async () => {
    const twice = await request(app.getHttpServer()).post('/orders/compose-twice').expect(400);
    expect(twice.body).toMatchObject({ statusCode: 400, code: 'PLAN_STEP_DUPLICATE', field: 'steps[1].step' });
    const unknown = await request(app.getHttpServer()).post('/orders/compose-unknown').expect(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'PLAN_STEP_NOT_REGISTERED', field: 'steps[0].step' });
  });

  it('answers a database outage with 503 DATABASE_UNAVAILABLE and Retry-After', async () => {
    const res = await request(app.getHttpServer()).get('/orders/database').expect(503);
    expect(res.body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers other library errors with a generic 500 and logs the details, never putting them in the body', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const res = await request(app.getHttpServer()).get('/orders/misconfigured').expect(500);
    expect(res.body).toEqual({ statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error. The details are in the server log.' });
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    expect(logged.mock.calls.flat().join(' ')).toContain('hunter2');
  });

  it('leaves errors that are not SagaErrors to Nest', async () => {
    const res = await request(app.getHttpServer()).get('/orders/not-a-saga-error').expect(404);
    expect(res.body).toEqual({ statusCode: 404, message: 'No such order.', error: 'Not Found' });
  });
});

describe('SagaExceptionFilter on one controller (@UseFilters)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await boot({ controllers: [FilteredController, OrdersController] });
  });
  afterAll(() => app?.close());

  it('maps the errors of the controller it decorates', async () => {
    const missing = await request(app.getHttpServer()).get('/filtered/missing').expect(404);
    expect(missing.body).toEqual({ statusCode: 404, code: 'SAGA_NOT_FOUND', message: `Saga ${SAGA_ID} does not exist.` });
    const cancel = await request(app.getHttpServer()).post('/filtered/cancel').expect(409);
    expect(cancel.body).toMatchObject({ statusCode: 409, code: 'INVALID_SAGA_TRANSITION' });
  });

  it('changes nothing for controllers it does not decorate', async () => {
    await request(app.getHttpServer()).get('/orders/missing').expect(500);
  });
});

describe('SagaExceptionFilter made with new (useGlobalFilters)', () => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [OrdersController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useGlobalFilters(new SagaExceptionFilter());
    await app.init();
  });
  afterAll(() => app?.close());

  it('answers through the response object without the adapter host', async () => {
    const res = await request(app.getHttpServer()).get('/orders/missing').expect(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'SAGA_NOT_FOUND', message: `Saga ${SAGA_ID} does not exist.` });
  });
});

describe('SAGA_ERROR_HTTP_STATUS', () => {
  it('gives the status of every code a client can cause', () => {
    expect(SAGA_ERROR_HTTP_STATUS).toEqual({
      SAGA_NOT_FOUND: 404,
      SAGA_DEFINITION_NOT_FOUND: 404,
      SAGA_STEP_NOT_FOUND: 404,
      INVALID_SAGA_TRANSITION: 409,
      SAGA_LEASE_LOST: 409,
      IDEMPOTENCY_KEY_CONFLICT: 409,
      SAGA_INPUT_INVALID: 400,
      VALIDATION_FAILED: 400,
      PLAN_NAME_INVALID: 400,
      PLAN_EMPTY: 400,
      PLAN_STEP_DUPLICATE: 400,
      PLAN_REQUIREMENT_MISSING: 400,
      PLAN_STEP_NOT_REGISTERED: 404,
      BULK_ACTION_NOT_FOUND: 404,
      BULK_ACTION_NOT_RUNNING: 409,
      BULK_ACTION_TOO_LARGE: 400,
      STEP_NOT_REGISTERED: 404,
      STEP_NOT_PAUSED: 409,
      DATABASE_UNAVAILABLE: 503,
    });
  });
});
