import { nodeProject } from '../../vitest.shared.js';
export default nodeProject('admin', { testTimeout: 60_000 });
