import { Writable } from 'node:stream'
import { QueueClient } from '@anyqueue/queue-core'
import { createMemoryDriver } from '@anyqueue/queue-memory'
import { expect, test } from 'vitest'
import { EXIT, main } from '../src/index.js'

test('anyqueue <url> dashboard --port 0 serves the page, the overview and /metrics until Ctrl-C', async () => {
  const driver = createMemoryDriver({ createIfMissing: true })
  const client = new QueueClient(driver)
  await client.queue('jobs').send('a')
  let stdout = ''
  const out = new Writable({
    write(chunk, _encoding, done) {
      stdout += chunk
      done()
    },
  })
  const stop = new AbortController()
  const done = main(['memory:', 'dashboard', '--port', '0', '--json'], {
    stdout: out,
    stderr: new Writable({ write: (_c, _e, d) => d() }),
    open: async () => client,
    signal: stop.signal,
  })
  const deadline = Date.now() + 60_000
  while (!stdout.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
  const { url } = JSON.parse(stdout) as { url: string }
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
  expect((await fetch(url)).headers.get('content-type')).toMatch(/text\/html/)
  const overview = (await (await fetch(`${url}api/overview`)).json()) as { targets: unknown[] }
  expect(overview.targets).toEqual([
    { key: 'jobs', kind: 'queue', stats: expect.objectContaining({ visible: 1 }) },
  ])
  expect(await (await fetch(`${url}metrics`)).text()).toContain(
    'anyqueue_queue_visible_messages{queue="jobs"} 1',
  )
  stop.abort()
  expect(await done).toBe(EXIT.ok)
})

test('dashboard refuses a port out of range', async () => {
  const code = await main(['memory:', 'dashboard', '--port', '70000'], {
    stdout: new Writable({ write: (_c, _e, d) => d() }),
    stderr: new Writable({ write: (_c, _e, d) => d() }),
  })
  expect(code).toBe(EXIT.usage)
})
