/** A binary min-heap. Entries are never removed from the middle: callers skip stale ones on pop. */
export class MinHeap<T> {
  readonly #items: T[] = []
  readonly #less: (a: T, b: T) => boolean

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less
  }

  get size(): number {
    return this.#items.length
  }

  peek(): T | undefined {
    return this.#items[0]
  }

  push(item: T): void {
    const items = this.#items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.#less(items[i]!, items[parent]!)) break
      const swap = items[i]!
      items[i] = items[parent]!
      items[parent] = swap
      i = parent
    }
  }

  pop(): T | undefined {
    const items = this.#items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last !== undefined) {
      items[0] = last
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        const right = left + 1
        let smallest = i
        if (left < items.length && this.#less(items[left]!, items[smallest]!)) smallest = left
        if (right < items.length && this.#less(items[right]!, items[smallest]!)) smallest = right
        if (smallest === i) break
        const swap = items[i]!
        items[i] = items[smallest]!
        items[smallest] = swap
        i = smallest
      }
    }
    return top
  }

  clear(): void {
    this.#items.length = 0
  }
}
