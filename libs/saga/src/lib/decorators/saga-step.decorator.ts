import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import { SAGA_STEP_METADATA } from '../saga.constants.js';
import type { SagaStepOptions } from '../interfaces/saga-options.interface.js';

export interface SagaStepMetadata extends SagaStepOptions {
  name: string;
}

/**
 * Marks a provider class as a saga step. The class implements `execute()` and optionally
 * `compensate()` (see `SagaStepHandler`). The name is stored with every saga instance: keep it stable.
 */
export function SagaStep(name: string, options: SagaStepOptions = {}): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(SAGA_STEP_METADATA, { ...options, name } satisfies SagaStepMetadata));
}
