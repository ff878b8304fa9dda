import { describe, expectTypeOf, test } from 'vitest'
import { type Payload, type Queue, QueueClient } from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

const client = new QueueClient(new FakeDriver())

interface JobIface {
  userId: number
  tags: string[]
  note?: string
  owner: { name: string; active: boolean } | null
}

describe('payload types', () => {
  test('an interface works, and sends and receives that type', () => {
    const queue = client.queue<JobIface>('jobs')
    expectTypeOf(queue).toEqualTypeOf<Queue<JobIface>>()
    expectTypeOf(queue.send).parameter(0).toEqualTypeOf<JobIface>()
    expectTypeOf<Awaited<ReturnType<typeof queue.receive>>[number]['payload']>().toEqualTypeOf<JobIface>()
    client.topic<JobIface>('news')
    client.subscription<JobIface>('news', 'mail')
  })

  test('type aliases, text, arrays and the default still work', () => {
    type Job = { userId: number }
    client.queue<Job>('a')
    client.queue<string>('b')
    client.queue<number[]>('c')
    client.queue<Payload>('d')
    expectTypeOf(client.queue('e')).toEqualTypeOf<Queue<Payload>>()
  })

  test('a member JSON cannot carry is still refused', () => {
    interface WithMethod {
      userId: number
      run(): void
    }
    interface WithFunction {
      callback: () => void
    }
    interface Nested {
      inner: { at: Date }
    }
    interface WithBigInt {
      n: bigint
    }
    interface WithUndefined {
      maybe: number | undefined
    }
    // @ts-expect-error a method is not JSON
    client.queue<WithMethod>('x')
    // @ts-expect-error a function-valued member is not JSON
    client.queue<WithFunction>('x')
    // @ts-expect-error a Date (a class with methods) is refused, even nested
    client.queue<Nested>('x')
    // @ts-expect-error bigint is not JSON
    client.queue<WithBigInt>('x')
    // @ts-expect-error a required member may not be undefined
    client.topic<WithUndefined>('x')
    // @ts-expect-error the same check on subscriptions
    client.subscription<WithFunction>('t', 's')
    // @ts-expect-error and on type aliases
    client.queue<{ f: () => void }>('x')
  })
})

test('generic code constrained to Payload keeps compiling', () => {
  function open<T extends Payload>(name: string): Queue<T> {
    return client.queue<T>(name)
  }
  expectTypeOf(open<{ n: number }>('x')).toEqualTypeOf<Queue<{ n: number }>>()
})
