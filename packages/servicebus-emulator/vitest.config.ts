import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Lock durations start at 5 s on Service Bus, so lock cases take that long; they run concurrently.
  // On a loaded 2-core machine a case of a few round trips takes 15 s and the renew-lock case 25 s:
  // the timeout leaves room above that.
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    maxConcurrency: 40,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
