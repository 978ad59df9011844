import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SagaModuleOptions } from './interfaces/saga-options.interface.js';

export const {
  ConfigurableModuleClass: SagaConfigurableModule,
  MODULE_OPTIONS_TOKEN: SAGA_MODULE_OPTIONS,
  OPTIONS_TYPE: SAGA_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SAGA_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SagaModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
