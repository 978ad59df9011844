import { Injectable, Scope, type Provider } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { createSagaTestingModule } from '../../testing/index.js';
import { Saga } from '../decorators/saga.decorator.js';
import { SagaStep } from '../decorators/saga-step.decorator.js';
import {
  DuplicateSagaNameError,
  DuplicateStepNameError,
  InvalidStepClassError,
  MissingStepRequirementError,
  RequestScopedStepError,
  SagaConfigurationError,
  StepNotRegisteredError,
} from '../errors/saga.errors.js';
import { SagaDefinition } from '../saga-definition.js';

@SagaStep('reserve')
class Reserve {
  execute() {
    return 1;
  }
}

@SagaStep('reserve')
class ReserveAgain {
  execute() {
    return 2;
  }
}

@SagaStep('no-execute')
class NoExecute {}

@Injectable({ scope: Scope.REQUEST })
class RequestScoped {
  execute() {
    return 1;
  }
}
SagaStep('scoped')(RequestScoped);

class Undecorated {
  execute() {
    return 1;
  }
}

@SagaStep('bad-retry', { retry: { maxAttempts: 0 } })
class BadRetry {
  execute() {
    return 1;
  }
}

@SagaStep('ship', { requires: ['reserve'] })
class Ship {
  execute() {
    return 3;
  }
}

@SagaStep('self-reader', { requires: ['self-reader'] })
class SelfReader {
  execute() {
    return 4;
  }
}

async function boot(providers: Provider[]) {
  const t = await createSagaTestingModule({ providers });
  await t.close();
}

describe('discovery of sagas and steps at bootstrap', () => {
  it('rejects two steps with one name, naming both classes', async () => {
    const err = await boot([Reserve, ReserveAgain]).catch((e) => e);
    expect(err).toBeInstanceOf(DuplicateStepNameError);
    expect(err.message).toMatch(/"reserve" is used by both Reserve and ReserveAgain/);
    expect(err.code).toBe('SAGA_CONFIGURATION_ERROR');
  });

  it('rejects two sagas with one name', async () => {
    @Saga('order', { steps: [Reserve] })
    class OrderA extends SagaDefinition {}
    @Saga('order', { steps: [Reserve] })
    class OrderB extends SagaDefinition {}
    await expect(boot([Reserve, OrderA, OrderB])).rejects.toBeInstanceOf(DuplicateSagaNameError);
  });

  it('rejects a saga step that is not a provider, and says where to add it', async () => {
    @Saga('order', { steps: [Reserve] })
    class Order extends SagaDefinition {}
    const err = await boot([Order]).catch((e) => e);
    expect(err).toBeInstanceOf(StepNotRegisteredError);
    expect(err.message).toContain('Add Reserve to the "providers" of a module');
  });

  it('rejects a saga step class without @SagaStep', async () => {
    @Saga('order', { steps: [Undecorated as any] })
    class Order extends SagaDefinition {}
    const err = await boot([Undecorated, Order]).catch((e) => e);
    expect(err).toBeInstanceOf(StepNotRegisteredError);
    expect(err.message).toContain("@SagaStep('step-name')");
  });

  it('rejects a step without execute()', async () => {
    const err = await boot([NoExecute]).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidStepClassError);
    expect(err.message).toContain('has no execute() method');
  });

  it('rejects a request-scoped step', async () => {
    const err = await boot([RequestScoped]).catch((e) => e);
    expect(err).toBeInstanceOf(RequestScopedStepError);
    expect(err.message).toContain('make it a singleton');
  });

  it('rejects a retry policy that cannot work, at bootstrap', async () => {
    const err = await boot([BadRetry]).catch((e) => e);
    expect(err).toBeInstanceOf(SagaConfigurationError);
    expect(err.message).toContain('retry.maxAttempts');
  });

  it('accepts a step provided with useFactory', async () => {
    @Saga('order', { steps: [Reserve] })
    class Order extends SagaDefinition {}
    await expect(boot([{ provide: Reserve, useFactory: () => new Reserve() }, Order])).resolves.toBeUndefined();
  });

  it('rejects a saga whose step requires an output that no earlier step makes, and says how to order them', async () => {
    @Saga('ship-first', { steps: [Ship, Reserve] })
    class ShipFirst extends SagaDefinition {}
    const err = await boot([Reserve, Ship, ShipFirst]).catch((e) => e);
    expect(err).toBeInstanceOf(MissingStepRequirementError);
    expect(err.code).toBe('PLAN_REQUIREMENT_MISSING');
    expect(err.message).toContain('Step "ship" (steps[0]) of saga "ship-first" reads the output of "reserve", which is not earlier in the plan. Put "reserve" before "ship".');
    expect(err.message).toContain("Reorder the steps of @Saga('ship-first') (ShipFirst)");

    @Saga('ship-alone', { steps: [Ship] })
    class ShipAlone extends SagaDefinition {}
    await expect(boot([Reserve, Ship, ShipAlone])).rejects.toBeInstanceOf(MissingStepRequirementError);
  });

  it('accepts a saga that runs every step after the steps it requires', async () => {
    @Saga('reserve-then-ship', { steps: [Reserve, Ship] })
    class ReserveThenShip extends SagaDefinition {}
    await expect(boot([Reserve, Ship, ReserveThenShip])).resolves.toBeUndefined();
  });

  it('rejects a step whose requires are not the names of other steps', async () => {
    const err = await boot([SelfReader]).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidStepClassError);
    expect(err.message).toContain("requires: ['reserve-inventory']");
  });
});
