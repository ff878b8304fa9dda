/** Resolves with `promise`, or with [] once `signal` aborts; a late result goes to `onLate`. */
export function abortable<T>(
  promise: Promise<T[]>,
  signal: AbortSignal | undefined,
  onLate: (late: T[]) => void,
): Promise<T[]> {
  if (!signal) return promise
  if (signal.aborted) {
    promise.then(onLate, () => {})
    return Promise.resolve([])
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.then(onLate, () => {})
      resolve([])
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** Waits `ms`, or less when `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}
