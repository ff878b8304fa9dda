import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    maxConcurrency: 40,
    // Every package's tests run at once on 2 cores (and a user's machine may be slower still): a
    // property test of 200 runs must not fail on vitest's 5 s default for the machine's speed. The
    // limit only ends a hung test.
    testTimeout: 300_000,
    // Type-level tests of the public API: a wrong type fails `vitest run`, not only `tsc`.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})
