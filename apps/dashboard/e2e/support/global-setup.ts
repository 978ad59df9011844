/**
 * Builds the dashboard once for the whole browser suite, into a temp folder (never over
 * apps/dashboard/dist, which a running api may be serving), and hands its path to the tests.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    dashboardDir: string;
  }
}

export default async function setup(project: TestProject) {
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `The browser tests need Chromium at ${chromiumPath}: apt-get install -y --no-install-recommends chromium ` +
        '(or set CHROMIUM_PATH). Do not use `playwright install`.',
    );
  }
  const outDir = await mkdtemp(join(tmpdir(), 'saga-dashboard-e2e-'));
  await build({
    configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)),
    build: { outDir, emptyOutDir: true, sourcemap: false },
    logLevel: 'warn',
  });
  project.provide('dashboardDir', outDir);
  return async () => {
    await rm(outDir, { recursive: true, force: true });
  };
}
