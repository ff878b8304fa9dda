import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Cases against the emulator wait for conditions with deadlines of their own (up to 30 s); the
  // test timeout stays above them, so a loaded machine is not mistaken for a failing driver.
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    maxConcurrency: 10,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
