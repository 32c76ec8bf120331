// Types of the shared custom matchers (toBeAllclose) for this package's tests.
/// <reference path="../../../tooling/testkit/src/vitest.d.ts" />
