import { Level } from 'level'
import { isRecoverableFault } from './local-errors.js'

/**
 * The LevelDB handle, reopened after a fault that leaves it unusable. LevelDB's write errors are
 * sticky (after a failed sync or a failed compaction every write fails until the database is
 * reopened), and after a partly written log record, writing on could hide later records from
 * recovery. So after a full disk the next call first reopens the database — which replays the log
 * — and, once space is free again, works as before; while the disk stays full the reopen itself
 * fails, retryably, and is tried again by the next call.
 */
export class Store {
  readonly #location: string
  #db: Level<string, string> | undefined
  #broken = false
  #reopening: Promise<void> | undefined

  constructor(location: string) {
    this.#location = location
  }

  /**
   * The database, made on first use: `level` starts opening (creating the folder, taking the lock)
   * as soon as it is made, so a driver that is never used — or refused after it was built, like a
   * URL with a typo — leaves nothing on disk and holds no lock.
   */
  get db(): Level<string, string> {
    this.#db ??= new Level<string, string>(this.#location, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    return this.#db
  }

  /** Closes the database if it was ever made. */
  async close(): Promise<void> {
    await this.#db?.close()
  }

  /** True while a reopen is under way: calls caught by it may retry. */
  get recovering(): boolean {
    return this.#broken || this.#reopening !== undefined
  }

  /** Runs one database call, reopening first if an earlier one left the database broken. */
  async run<T>(call: (db: Level<string, string>) => Promise<T>): Promise<T> {
    if (this.#broken) await this.#reopen()
    try {
      return await call(this.db)
    } catch (error) {
      if (isRecoverableFault(error)) this.#broken = true
      throw error
    }
  }

  #reopen(): Promise<void> {
    this.#reopening ??= (async () => {
      try {
        if (this.db.status === 'open') await this.db.close()
        await this.db.open()
        this.#broken = false
      } finally {
        this.#reopening = undefined
      }
    })()
    return this.#reopening
  }
}
