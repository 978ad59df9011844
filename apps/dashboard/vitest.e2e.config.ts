import { fileURLToPath } from 'node:url';
import { nodeProject } from '../../vitest.shared.js';

/**
 * Browser tests: real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against the
 * real api on a fresh PostgreSQL database. The dashboard is built once into a temp folder first.
 */
const config = nodeProject('dashboard-e2e', { include: ['e2e/**/*.e2e.spec.ts'], testTimeout: 60_000 });
config.root = fileURLToPath(new URL('.', import.meta.url));
config.test!.globalSetup = ['e2e/support/global-setup.ts'];
export default config;
