import { nodeProject } from '../../vitest.shared.js';
export default nodeProject('saga', { testTimeout: 60_000 });
