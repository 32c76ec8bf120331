// The testkit's custom matcher types (toBeAllclose) for this package's tests.
/// <reference path="../../../tooling/testkit/src/vitest.d.ts" />
