// Runs a command with DATABASE_URL set to a PostgreSQL resolved like the conformance suite's
// (DATABASE_URL / PGHOST → testcontainers → Debian's binaries as a child process), then stops what
// it started. Exits 0 without running the command when no PostgreSQL can be resolved outside CI.
//   node with-postgres.mjs <conformance dist/backends/index.js> <command> [args…]
import { spawnSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'

const [backendsModule, command, ...args] = process.argv.slice(2)
const { inCI, postgresBackend, resolveBackend } = await import(pathToFileURL(backendsModule).href)
let backend
try {
  backend = await resolveBackend(postgresBackend)
} catch (error) {
  if (inCI()) throw error
  console.log(`install-test: no PostgreSQL could be resolved; skipped (${error.message.split('\n')[0]})`)
  process.exit(0)
}
let status = 1
try {
  const run = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: backend.connection.connectionString },
  })
  status = run.status ?? 1
} finally {
  await backend.stop()
}
process.exit(status)
