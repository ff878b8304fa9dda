import { consume, QueueClient } from '@anyqueue/queue-core'
import { createMemoryDriver, ManualClock } from '@anyqueue/queue-memory'
import { afterEach, expect, test } from 'vitest'
import { createDashboard } from '../src/index.js'
import { jsonOf, serve } from './serve.js'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done()
})

async function setup(options: Parameters<typeof createDashboard>[1] = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const client = new QueueClient(createMemoryDriver({ clock, leaseSeconds: 30 }))
  cleanup.push(() => client.close())
  await client.createQueue('jobs')
  await client.createQueue('jobs-dlq')
  const dashboard = createDashboard(client, options)
  const server = await serve(dashboard, options.basePath ? `${options.basePath}/` : '/')
  cleanup.push(server.close)
  return { clock, client, dashboard, url: server.url }
}

test('the overview counts each queue with stats(), and marks a -dlq queue as its source queue’s dead letters', async () => {
  const { client, url } = await setup()
  const jobs = client.queue('jobs')
  await jobs.send('a')
  await jobs.send('b', { delaySeconds: 60 })
  await jobs.receive({ waitSeconds: 0 })
  await jobs.send('c')
  const overview = await jsonOf(fetch(`${url}api/overview`))
  expect(overview.targets).toEqual([
    { key: 'jobs', kind: 'queue', stats: await jobs.stats() },
    { key: 'jobs-dlq', kind: 'queue', deadLetterOf: 'jobs', stats: await client.queue('jobs-dlq').stats() },
  ])
  expect(overview.targets[0].stats).toMatchObject({ visible: 1, inFlight: 1, delayed: 1 })
  expect(overview.history).toHaveLength(1)
  expect(overview.history[0].depth).toEqual({ jobs: 3, 'jobs-dlq': 0 })
})

test('the page is HTML with a strict CSP, its assets (uPlot from node_modules) are served, a bare mount path redirects', async () => {
  const { url } = await setup({ basePath: '/ops/queues', title: '<script>alert(1)</script>' })
  const page = await fetch(url)
  expect(page.headers.get('content-type')).toMatch(/text\/html/)
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'")
  const html = await page.text()
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
  expect(html).not.toContain('<script>alert')
  for (const asset of ['app.js', 'uplot.js', 'uplot.css', 'app.css']) {
    const response = await fetch(`${url}assets/${asset}`)
    expect(response.status, asset).toBe(200)
  }
  expect((await fetch(`${url}assets/../package.json`)).status).toBe(404)
  const bare = await fetch(url.slice(0, -1), { redirect: 'manual' })
  expect(bare.status).toBe(308)
  expect(bare.headers.get('location')).toBe('/ops/queues/')
})

test('messages are peeked (no lease, no delivery) with the dead-letter reason, attempts and source', async () => {
  const { client, url } = await setup()
  const jobs = client.queue('jobs')
  await jobs.send({ n: '<img src=x onerror=alert(1)>' })
  const consumer = consume(jobs, () => Promise.reject(new Error('boom')), { maxAttempts: 1, waitSeconds: 0 })
  const dlq = client.queue('jobs-dlq')
  while ((await dlq.stats()).visible !== 1) await new Promise((r) => setTimeout(r, 10))
  await consumer.stop()
  for (let look = 0; look < 3; look++) {
    const { messages } = await jsonOf(fetch(`${url}api/messages?queue=jobs-dlq`))
    expect(messages).toHaveLength(1)
    expect(messages[0]).toMatchObject({
      deliveries: 0,
      state: 'visible',
      reason: expect.stringContaining('boom'),
      attempts: '1',
      source: 'jobs',
      payload: '{"n":"<img src=x onerror=alert(1)>"}',
    })
  }
  const [received] = await dlq.receive({ waitSeconds: 0 })
  expect(received?.attempt).toBe(1)
})

test('redrive and purge need a JSON body repeating the queue name, and only touch known queues', async () => {
  const { client, url } = await setup()
  const dlq = client.queue('jobs-dlq')
  await dlq.sendBatch([{ payload: 'x' }, { payload: 'y' }])
  const post = (path: string, body: unknown, type = 'application/json') =>
    fetch(`${url}api/${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: JSON.stringify(body),
    })
  expect((await post('redrive', { queue: 'jobs-dlq', to: 'jobs' })).status).toBe(400)
  expect(
    (await post('redrive', { queue: 'jobs-dlq', to: 'jobs', confirm: 'jobs-dlq' }, 'text/plain')).status,
  ).toBe(400)
  expect((await post('redrive', { queue: 'jobs-dlq', to: 'nope', confirm: 'jobs-dlq' })).status).toBe(404)
  const moved = await post('redrive', { queue: 'jobs-dlq', to: 'jobs', confirm: 'jobs-dlq' })
  expect(await jsonOf(moved)).toEqual({ moved: 2 })
  expect(await client.queue('jobs').stats()).toMatchObject({ visible: 2 })
  const purged = await post('purge', { queue: 'jobs', confirm: 'jobs' })
  expect(await jsonOf(purged)).toEqual({ deleted: 2 })
  expect(await client.queue('jobs').stats()).toMatchObject({ visible: 0, inFlight: 0 })
})

test('a driver without peek answers 501 and leases nothing', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const inner = createMemoryDriver({ clock })
  const capabilities = { ...inner.capabilities, peek: false }
  // The memory driver less its peek, as SQS or Pub/Sub would be.
  const driver = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'peek') return undefined
      if (prop === 'capabilities') return capabilities
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const client = new QueueClient(driver)
  cleanup.push(() => client.close())
  await client.createQueue('jobs')
  await client.queue('jobs').send('a')
  const server = await serve(createDashboard(client))
  cleanup.push(server.close)
  const response = await fetch(`${server.url}api/messages?queue=jobs`)
  expect(response.status).toBe(501)
  expect((await jsonOf(response)).error.code).toBe('NOT_SUPPORTED')
  expect(await client.queue('jobs').stats()).toMatchObject({ visible: 1, inFlight: 0 })
})

test('the web-standard fetch handler answers the same API', async () => {
  const client = new QueueClient(createMemoryDriver({ createIfMissing: true }))
  cleanup.push(() => client.close())
  const dashboard = createDashboard(client, { queues: ['only'] })
  const response = await dashboard.fetch(new Request('http://app.test/api/overview'))
  expect((await jsonOf(response)).targets.map((t: { key: string }) => t.key)).toEqual(['only'])
})

test('subscriptions named in the options are shown and counted as topic/name', async () => {
  const client = new QueueClient(createMemoryDriver())
  cleanup.push(() => client.close())
  await client.createTopic('orders')
  await client.createSubscription('orders', 'audit')
  await client.topic('orders').publish({ id: 1 })
  const dashboard = createDashboard(client, { subscriptions: [{ topic: 'orders', name: 'audit' }] })
  const { targets } = await jsonOf(dashboard.fetch(new Request('http://app.test/api/overview')))
  expect(targets).toEqual([
    { key: 'orders/audit', kind: 'subscription', stats: expect.objectContaining({ visible: 1 }) },
  ])
  const { messages } = await jsonOf(
    dashboard.fetch(new Request('http://app.test/api/messages?queue=orders/audit')),
  )
  expect(messages.map((m: { payload: string }) => m.payload)).toEqual(['{"id":1}'])
})
