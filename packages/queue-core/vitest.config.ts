import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Property tests run thousands of cases: CI runs every package's tests at once on 2 cores, where
    // vitest's 5 s default is a flake, not a bound anyone promised. 60 s was still overrun there (a
    // 400-run property took 80 s beside other engineers' suites): the limit only ends a hung test.
    testTimeout: 300_000,
    // Type-level tests of the public API: a wrong type fails `vitest run`, not only `tsc`.
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
})
