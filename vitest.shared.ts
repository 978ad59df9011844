import { defineConfig } from 'vitest/config';
import { WORKSPACE_ALIASES } from './workspace-aliases.js';

/** Node-side test config: workspace libs resolve to their TypeScript sources, so tests need no build. */
export function nodeProject(name: string, extra: { include?: string[]; testTimeout?: number; fileParallelism?: boolean; globalSetup?: string[] } = {}) {
  return defineConfig({
    resolve: { alias: WORKSPACE_ALIASES },
    test: {
      name,
      environment: 'node',
      include: extra.include ?? ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      testTimeout: extra.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      fileParallelism: extra.fileParallelism ?? true,
      globalSetup: extra.globalSetup,
    },
  });
}
