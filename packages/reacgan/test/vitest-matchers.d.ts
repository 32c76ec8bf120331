// Type declarations for the custom matchers registered by the shared test setup (toBeAllclose).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../../../tooling/testkit/src/vitest.d.ts" />
