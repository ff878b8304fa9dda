import { Presets, SingleBar } from 'cli-progress'

/** What long commands report to: a bar with rate and ETA, or nothing. */
export interface Progress {
  start(total: number): void
  increment(by: number): void
  stop(): void
}

export const noProgress: Progress = { start() {}, increment() {}, stop() {} }

/**
 * A progress bar on `stream` (stderr, so stdout stays clean for `--json`): done/total, messages per
 * second and the time left. Drawn in place on a terminal; elsewhere (with `--progress`) printed
 * as a line each second and at the end.
 */
export function progressBar(stream: NodeJS.WritableStream, label: string): Progress {
  const bar = new SingleBar(
    {
      stream,
      format: `${label} [{bar}] {value}/{total} | {rate} msg/s | ETA {eta_formatted}`,
      noTTYOutput: true,
      notTTYSchedule: 1_000,
      hideCursor: true,
    },
    Presets.shades_classic,
  )
  let started = Date.now()
  let done = 0
  const rate = () => ((done * 1000) / Math.max(1, Date.now() - started)).toFixed(0)
  return {
    start(total) {
      started = Date.now()
      bar.start(total, 0, { rate: '0' })
    },
    increment(by) {
      done += by
      bar.increment(by, { rate: rate() })
    },
    stop() {
      bar.update(done, { rate: rate() })
      bar.stop()
    },
  }
}
