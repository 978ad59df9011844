import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { WORKSPACE_ALIASES } from '../../workspace-aliases.js';
import { defineProject } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Component and hook tests: happy-dom, fetch mocked at the network boundary (src/testing). */
export default defineProject({
  root,
  plugins: [react()],
  resolve: { alias: WORKSPACE_ALIASES },
  test: {
    name: 'dashboard',
    environment: 'happy-dom',
    include: ['src/**/*.spec.{ts,tsx}'],
    setupFiles: ['src/testing/setup.ts'],
    restoreMocks: true,
  },
});
