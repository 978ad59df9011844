import { nodeProject } from '../../vitest.shared.js';
export default nodeProject('saga', { testTimeout: 120_000, globalSetup: ['./test/global-setup.ts'] });
