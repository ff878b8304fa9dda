// A process that writes a business row and sends a message in one transaction, says so, and waits
// to be killed before it commits: the crash case of test/transaction.test.ts.
import { QueueClient } from '@anyqueue/queue-core'
import pg from 'pg'
import { createPostgresDriver } from '../dist/index.js'

const { connectionString, schema, queue, order } = JSON.parse(process.argv[2])
const pool = new pg.Pool({ connectionString })
const driver = createPostgresDriver({ pool, schema })
const tx = await pool.connect()
await tx.query('BEGIN')
await tx.query('INSERT INTO business_orders (id) VALUES ($1)', [order])
await new QueueClient(driver.transaction(tx)).queue(queue).send({ order })
process.stdout.write('written\n')
setInterval(() => {}, 1000) // never commits: the test kills this process here
