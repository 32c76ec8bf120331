// Types of the shared custom matchers (toBeAllclose) for this package's tests.
import type {} from '../../../tooling/testkit/src/vitest.js';
