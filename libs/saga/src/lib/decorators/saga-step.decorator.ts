import { Injectable, SetMetadata } from '@nestjs/common';
import { SCOPE_OPTIONS_METADATA } from '@nestjs/common/constants.js';
import { SAGA_STEP_METADATA } from '../saga.constants.js';
import type { SagaStepOptions } from '../interfaces/saga-options.interface.js';

export interface SagaStepMetadata extends SagaStepOptions {
  name: string;
}

/**
 * Marks a provider class as a saga step. The class implements `execute()` and optionally
 * `compensate()` (see `SagaStepHandler`). The name is stored with every saga instance: keep it stable.
 * It makes the class injectable and keeps any scope set by `@Injectable()` so that discovery can
 * refuse request-scoped steps.
 */
export function SagaStep(name: string, options: SagaStepOptions = {}): ClassDecorator {
  return (target) => {
    Injectable(Reflect.getMetadata(SCOPE_OPTIONS_METADATA, target))(target);
    SetMetadata(SAGA_STEP_METADATA, { ...options, name } satisfies SagaStepMetadata)(target);
  };
}
