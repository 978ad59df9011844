import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SagaAdminModuleOptions } from './saga-admin-options.interface.js';

export const {
  ConfigurableModuleClass: SagaAdminConfigurableModule,
  MODULE_OPTIONS_TOKEN: SAGA_ADMIN_MODULE_OPTIONS,
  OPTIONS_TYPE: SAGA_ADMIN_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SAGA_ADMIN_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SagaAdminModuleOptions>().setClassMethodName('forRoot').build();
