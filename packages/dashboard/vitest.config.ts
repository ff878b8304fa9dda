import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every package's tests run at once on 2 cores, and a browser starts slowly there: the limit
    // only ends a hung test.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
})
