import { defineConfig } from 'vitest/config'

// `pnpm test:repo`: the checks that span every package (see test/), run by `pnpm test` after the
// packages' own tests.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
  },
})
