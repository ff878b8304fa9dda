// How a child process of the kill cases opens the same backend: the connection comes in ANYQUEUE_TARGET_CONFIG.
import { createPostgresDriver } from '../dist/index.js'

const config = JSON.parse(process.env.ANYQUEUE_TARGET_CONFIG ?? '{}')
export default {
  name: 'postgres',
  open: () => createPostgresDriver({ ...config, leaseSeconds: Number(process.env.ANYQUEUE_LEASE ?? 2) }),
}
