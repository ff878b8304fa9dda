import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The end-to-end tests start a node process per command line: generous limits for a loaded machine.
  test: { include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000 },
})
