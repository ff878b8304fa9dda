/** Binary min-heap of sequence numbers: the order Service Bus hands messages out in. */
export class SeqHeap {
  #items: number[] = []
  get size() {
    return this.#items.length
  }
  push(seq: number): void {
    const a = this.#items
    a.push(seq)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (a[parent]! <= seq) break
      a[i] = a[parent]!
      i = parent
    }
    a[i] = seq
  }
  pop(): number | undefined {
    const a = this.#items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= a.length) break
        const r = l + 1
        const c = r < a.length && a[r]! < a[l]! ? r : l
        if (a[c]! >= last) break
        a[i] = a[c]!
        i = c
      }
      a[i] = last
    }
    return top
  }
  clear(): void {
    this.#items = []
  }
}
