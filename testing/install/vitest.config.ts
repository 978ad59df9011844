import { fileURLToPath } from 'node:url';
import { nodeProject } from '../../vitest.shared.js';

/** The packages as a team installs them: packed, installed into a Nest app outside the workspace. */
const config = nodeProject('install', { include: ['*.spec.ts'], testTimeout: 180_000 });
config.root = fileURLToPath(new URL('.', import.meta.url));
config.test!.globalSetup = ['global-setup.ts'];
config.test!.hookTimeout = 180_000;
export default config;
