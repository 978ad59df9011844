import { Injectable, SetMetadata, applyDecorators } from '@nestjs/common';
import { SAGA_METADATA } from '../saga.constants.js';
import type { SagaOptions } from '../interfaces/saga-options.interface.js';

export interface SagaMetadata extends SagaOptions {
  name: string;
}

/**
 * Declares a saga: its name (stored with every instance: keep it stable) and its ordered steps.
 * Put it on a class extending `SagaDefinition<TInput>` and list that class as a provider.
 */
export function Saga(name: string, options: SagaOptions): ClassDecorator {
  return applyDecorators(Injectable(), SetMetadata(SAGA_METADATA, { ...options, name } satisfies SagaMetadata));
}
