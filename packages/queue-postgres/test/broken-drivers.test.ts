/**
 * A suite that passes a broken driver proves nothing. Each driver here is the real PostgreSQL driver
 * with one of the pitfalls of a database queue put back in — by rewriting the SQL it sends — and the
 * conformance cases that state the promise it breaks must fail it. (The third pitfall, a NOTIFY lost
 * on reconnect, is a driver-side one: `listener.test.ts` kills it.)
 */
import { randomUUID } from 'node:crypto'
import { type CaseResult, runConformance, selectCases } from '@anyqueue/conformance'
import pg from 'pg'
import { afterAll, beforeEach, describe, expect, test } from 'vitest'
import { createPostgresDriver } from '../src/index.js'
import { usePostgres } from './backend.js'

const postgres = usePostgres()
const pools: pg.Pool[] = []
afterAll(async () => {
  for (const pool of pools) await pool.end()
})

/** A pool whose statements pass through `rewrite` first: the bug, in SQL. */
function rewritingPool(rewrite: (text: string) => string): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgres.backend().connection.connectionString, max: 20 })
  // An idle client of a pool reports the server's shutdown at the end of the file as an 'error'
  // event, which would otherwise be an uncaught exception: the test's own pool ignores it.
  pool.on('error', () => {})
  pools.push(pool)
  const query = pool.query.bind(pool) as (text: string, values?: unknown[]) => Promise<unknown>
  ;(pool as unknown as { query: typeof query }).query = (text, values) => query(rewrite(text), values)
  return pool
}

interface Broken {
  name: string
  rewrite: (text: string) => string
  /** The cases that state the promise it breaks: each must fail. */
  mustFail: string[]
}

const RECEIVE_LOCK = 'FOR UPDATE SKIP LOCKED'
const LEASE_END = 'visible_at = now() + make_interval(secs => $3)'

const broken: Broken[] = [
  {
    // A plain SELECT then UPDATE: two receives read the same due rows and both lease them.
    name: 'receive without SKIP LOCKED (no row lock at all)',
    rewrite: (text) => (text.includes(RECEIVE_LOCK) ? text.replace(RECEIVE_LOCK, '') : text),
    mustFail: ['lease.hidden-under-concurrency'],
  },
  {
    // The lease end computed on the client's clock, which runs 10 minutes behind the server's:
    // every lease has ended before it began.
    name: "lease on the client's clock (10 min behind the server)",
    rewrite: (text) =>
      text.includes(LEASE_END)
        ? text.replace(
            LEASE_END,
            `visible_at = '${new Date(Date.now() - 600_000).toISOString()}'::timestamptz + make_interval(secs => $3)`,
          )
        : text,
    mustFail: ['lease.hidden', 'lease.comes-back'],
  },
]

const failedIds = (results: CaseResult[]) => results.filter((r) => r.status === 'failed').map((r) => r.id)

describe.concurrent('the suite catches broken PostgreSQL drivers', () => {
  beforeEach((context) => {
    if (postgres.skip()) context.skip(postgres.skip())
  })

  test('control: the rewriting pool with nothing rewritten passes those cases', {
    timeout: 300_000,
  }, async () => {
    const cases = selectCases([...new Set(broken.flatMap((b) => b.mustFail))])
    const pool = rewritingPool((text) => text)
    const schema = `broken_${randomUUID().slice(0, 8)}`
    const results = await runConformance(
      { name: 'control', open: () => createPostgresDriver({ pool, schema, leaseSeconds: 2 }) },
      { cases, concurrency: cases.length },
    )
    expect(failedIds(results)).toEqual([])
    expect(results.filter((r) => r.status === 'passed').length).toBe(cases.length)
  })

  for (const entry of broken) {
    test(entry.name, { timeout: 300_000 }, async () => {
      const cases = selectCases(entry.mustFail)
      expect(cases.length).toBe(entry.mustFail.length)
      const pool = rewritingPool(entry.rewrite)
      const schema = `broken_${randomUUID().slice(0, 8)}`
      const results = await runConformance(
        { name: entry.name, open: () => createPostgresDriver({ pool, schema, leaseSeconds: 2 }) },
        { cases, concurrency: cases.length },
      )
      const survived = entry.mustFail.filter((id) => !failedIds(results).includes(id))
      expect(survived, `${entry.name} survived these cases`).toEqual([])
    })
  }
})
