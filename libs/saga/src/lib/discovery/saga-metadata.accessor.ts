import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SAGA_METADATA, SAGA_STEP_METADATA } from '../saga.constants.js';
import type { SagaMetadata } from '../decorators/saga.decorator.js';
import type { SagaStepMetadata } from '../decorators/saga-step.decorator.js';

@Injectable()
export class SagaMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getStepMetadata(target: Function | undefined): SagaStepMetadata | undefined {
    return target ? this.reflector.get<SagaStepMetadata | undefined>(SAGA_STEP_METADATA, target) : undefined;
  }

  getSagaMetadata(target: Function | undefined): SagaMetadata | undefined {
    return target ? this.reflector.get<SagaMetadata | undefined>(SAGA_METADATA, target) : undefined;
  }
}
