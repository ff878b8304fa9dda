import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The end-to-end tests start a node process per command line, up to a dozen per test: a second or
  // two each on an idle machine, 10-25 s on a 2-core one running every package's tests at once.
  // The limit only ends a test that hangs.
  test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 300_000 },
})
