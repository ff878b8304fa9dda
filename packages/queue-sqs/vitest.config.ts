import { defineConfig } from 'vitest/config'

// moto serves requests one after another and slows down with queue depth: with every case at once,
// the 1,000-message load case stretches its latency past the lease cases' timing windows.
export default defineConfig({
  // Cases against the backend wait for conditions with deadlines of their own (up to 30 s); the
  // test timeout stays above them, so a slow backend is not mistaken for a failing driver.
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    maxConcurrency: 12,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
