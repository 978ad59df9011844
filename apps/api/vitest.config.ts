import { nodeProject } from '../../vitest.shared.js';
export default nodeProject('api', { testTimeout: 60_000 });
