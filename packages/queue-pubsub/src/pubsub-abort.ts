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
