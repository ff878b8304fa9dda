import { describe, expect, test } from 'vitest'
import { type Batch, WriteQueue } from './write-queue.js'

/** A WriteQueue over a fake store that records each batch and lets the test finish it. */
function recorded() {
  const writes: Array<{ ops: Batch; finish: (error?: unknown) => void }> = []
  const queue = new WriteQueue(
    (ops) =>
      new Promise<void>((resolve, reject) => {
        writes.push({ ops, finish: (error) => (error === undefined ? resolve() : reject(error)) })
      }),
  )
  return { queue, writes }
}

const del = (key: string) => ({ type: 'del' as const, key })
const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('WriteQueue', () => {
  test('writes pushed in one turn share one batch, in the order they were pushed', async () => {
    const { queue, writes } = recorded()
    const acks = queue.push([del('M!1'), del('M!2')])
    const mark = queue.push([{ type: 'put', key: 'D!q', value: '3' }])
    await tick()
    expect(writes.map((w) => w.ops)).toEqual([
      [del('M!1'), del('M!2'), { type: 'put', key: 'D!q', value: '3' }],
    ])
    writes[0]!.finish()
    await expect(Promise.all([acks, mark])).resolves.toEqual([undefined, undefined])
  })

  test('a write pushed while one is in flight goes out next, after it, gathered with the others', async () => {
    const { queue, writes } = recorded()
    const first = queue.push([del('a')])
    await tick()
    const second = queue.push([del('b')])
    const third = queue.push([del('c')])
    await tick()
    expect(writes).toHaveLength(1) // nothing overtakes the write in flight
    writes[0]!.finish()
    await first
    await tick()
    expect(writes.map((w) => w.ops)).toEqual([[del('a')], [del('b'), del('c')]])
    writes[1]!.finish()
    await Promise.all([second, third])
  })

  test('a failed batch rejects exactly its own writers; the next batch still goes out', async () => {
    const { queue, writes } = recorded()
    const failing = [queue.push([del('a')]), queue.push([del('b')])]
    await tick()
    const later = queue.push([del('c')])
    writes[0]!.finish(new Error('disk full'))
    for (const write of failing) await expect(write).rejects.toThrow('disk full')
    await tick()
    expect(writes[1]!.ops).toEqual([del('c')])
    writes[1]!.finish()
    await expect(later).resolves.toBeUndefined()
  })

  test('settled() waits for every write queued so far', async () => {
    const { queue, writes } = recorded()
    void queue.push([del('a')])
    let settled = false
    const waiting = queue.settled().then(() => {
      settled = true
    })
    await tick()
    expect(settled).toBe(false)
    writes[0]!.finish()
    await waiting
    expect(settled).toBe(true)
  })
})
