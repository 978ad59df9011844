import { Injectable, SetMetadata } from '@nestjs/common';
import { SCOPE_OPTIONS_METADATA } from '@nestjs/common/constants.js';
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
  return (target) => {
    Injectable(Reflect.getMetadata(SCOPE_OPTIONS_METADATA, target))(target);
    SetMetadata(SAGA_METADATA, { ...options, name } satisfies SagaMetadata)(target);
  };
}
