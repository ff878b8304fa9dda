import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Lock durations start at 5 s on Service Bus, so lock cases take that long; they run concurrently.
  test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'], maxConcurrency: 40, testTimeout: 30_000 },
})
