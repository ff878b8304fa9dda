import { configDefaults, defineConfig } from 'vitest/config'

// The kill tables (broken drivers and cores) measure the conformance suite's power, which is the
// same JavaScript on every Node; `test:node24` skips them (ANYQUEUE_KILL_TABLES=skip) and runs the
// driver's own tests, which are what could differ there.
const skipKillTables = process.env.ANYQUEUE_KILL_TABLES === 'skip'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(skipKillTables ? ['test/broken-*.test.ts'] : [])],
    maxConcurrency: 40,
    // Every package's tests run at once on 2 cores (and a user's machine may be slower still): vitest's
    // 5 s default fails a test for the machine's speed, which no test here promises anything about.
    // The limit only ends a hung test.
    testTimeout: 300_000,
  },
})
