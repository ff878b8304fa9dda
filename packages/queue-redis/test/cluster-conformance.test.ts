/**
 * The whole conformance suite on a local Redis Cluster of three masters: every key of a queue (and of
 * a topic with its subscriptions) shares a hash tag, so each script runs on one slot's master.
 * Needs `redis-server` and `redis-cli` on PATH (a failure under CI=true, a skip elsewhere).
 *
 * Opt-in for now (`ANYQUEUE_REDIS_CLUSTER=1`): on a loaded machine it passed 106 of 107 cases, the
 * last `batch.per-entry-delay` once (not yet understood), so it is kept out of CI until it is green
 * ten times in a row.
 */
import { sendThroughDriver } from '@anyqueue/conformance'
import { inCI, which } from '@anyqueue/conformance/backends'
import { conformanceSuite } from '@anyqueue/conformance/vitest'
import { afterAll, describe } from 'vitest'
import { createRedisDriver } from '../src/index.js'
import { startCluster } from './cluster.js'

const wanted = process.env.ANYQUEUE_REDIS_CLUSTER === '1'
const installed = await which('redis-server').then(
  () => true,
  () => false,
)
if (wanted && !installed && inCI())
  throw new Error('redis-server is not on PATH: CI installs it (apt redis-server)')
const cluster = wanted && installed ? await startCluster() : undefined
afterAll(() => cluster?.stop())

describe.skipIf(!cluster)('cluster', () => {
  conformanceSuite(
    {
      name: 'redis-cluster',
      // A 3 s lease: each call crosses the cluster's routing on a loaded machine (2 s left the renew
      // case no sample it could judge).
      open: () => createRedisDriver({ cluster: { nodes: cluster!.nodes }, leaseSeconds: 3 }),
      sendForeign: sendThroughDriver,
    },
    { leaseSeconds: 3 },
  )
})
