import { defineConfig } from 'vitest/config'

// moto serves requests one after another and slows down with queue depth: with every case at once,
// the 1,000-message load case stretches its latency past the lease cases' timing windows.
export default defineConfig({
  test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'], maxConcurrency: 12 },
})
