import { defineConfig } from 'vitest/config';

// One run for the whole workspace: each folder below is a vitest project with its own config.
export default defineConfig({
  test: {
    projects: ['libs/saga-contracts', 'libs/saga', 'libs/saga-admin', 'apps/api', 'apps/dashboard', 'apps/dashboard/vitest.e2e.config.ts', 'testing/install/vitest.config.ts'],
    reporters: ['default'],
  },
});
