import { defineConfig } from 'vitest/config'

// `pnpm conformance`: every adapter's conformance suite in one run, printed as a driver × case matrix.
// Adapters whose backend cannot be resolved are skipped with the reason (a failure when CI=true).
export default defineConfig({
  test: {
    include: ['packages/*/test/conformance.test.ts'],
    reporters: ['dot', '@anyqueue/conformance/reporter'],
    // Emulators like moto serve one request at a time: too many cases at once blur lease timings.
    // Each driver's suite also measures its backend first and runs fewer cases at once when the
    // backend is saturated (its report line says how many).
    maxConcurrency: 16,
    hookTimeout: 120_000,
  },
})
