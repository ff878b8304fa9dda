/**
 * Runs the conformance CLI against the local driver on top of a copy of the built core, with one
 * textual patch applied to one of its files: a broken core, the kind of bug a core author makes.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One promise of the core broken by one patch of one built file. */
export interface Mutant {
  /** Short and unique: it names the temp folders and the test. */
  name: string
  /** What the bug is and which promise it breaks. */
  breaks: string
  /** A file of queue-core's dist, e.g. `consumer.js`. */
  file: string
  /** Text that must occur exactly once in `file`. */
  find: string
  replace: string
  /** The case(s) stating the promise: each must FAIL. */
  mustFail: string | readonly string[]
  /**
   * Set when no case catches the mutant yet: the check the suite lacks. The test then asserts the
   * mutant still survives, so closing the gap makes it fail and asks for this marker to go.
   */
  gap?: string
  /**
   * Set when the case that kills the mutant only fails once it has waited out its patience: why it
   * is slow. Such mutants start first, so the file's wall time stays near the slowest one alone.
   */
  slowKill?: string
}

const requireHere = createRequire(import.meta.url)
const coreDist = join(dirname(requireHere.resolve('@anyqueue/queue-core/package.json')), 'dist')
const cli = join(
  dirname(requireHere.resolve('@anyqueue/conformance/package.json')),
  'bin',
  'anyqueue-conformance.js',
)
const target = fileURLToPath(new URL('../fixtures/target.mjs', import.meta.url))
export const register = fileURLToPath(new URL('./register.mjs', import.meta.url))

export const caseIds = (m: Pick<Mutant, 'mustFail'>): string[] =>
  typeof m.mustFail === 'string' ? [m.mustFail] : [...m.mustFail]

/** Copies the built core into `folder` (source maps and types left out) and returns the copy's dist. */
export function copyCore(folder: string): string {
  const dist = join(folder, 'dist')
  mkdirSync(folder, { recursive: true })
  cpSync(coreDist, dist, { recursive: true, filter: (source) => !/\.(?:map|d\.ts)$/.test(source) })
  return dist
}

/** Applies the mutant's patch to the copy, or throws when its `find` text is not there exactly once. */
export function applyMutant(dist: string, mutant: Mutant): void {
  const path = join(dist, mutant.file)
  const source = readFileSync(path, 'utf8')
  const count = source.split(mutant.find).length - 1
  if (count !== 1) {
    throw new Error(
      `mutant ${mutant.name} no longer applies — update it: its find text occurs ${count} times in ${mutant.file}, not once`,
    )
  }
  writeFileSync(
    path,
    source.replace(mutant.find, () => mutant.replace),
  )
}

/** Longest one child may run: the CLI is killed then, and its run counts as whatever it printed. */
export const CHILD_TIMEOUT_MS = 150_000

export interface SuiteRun {
  code: number | null
  stdout: string
  stderr: string
  /** Case id → the matrix cell (`pass`, `FAIL`, `skip`). */
  rows: Map<string, string>
}

/** The conformance CLI on the local driver (lease 2 s, store under `storeRoot`) over the core in `dist`. */
export function runSuite(dist: string, cases: readonly string[], storeRoot: string): Promise<SuiteRun> {
  const args = ['--import', register, cli, target, ...cases.flatMap((id) => ['--case', id])]
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        env: {
          ...process.env,
          ANYQUEUE_CORE_DIST: dist,
          ANYQUEUE_LEASE: '2',
          ANYQUEUE_LOCAL_ROOT: storeRoot,
        },
        maxBuffer: 16 * 1024 * 1024,
        timeout: CHILD_TIMEOUT_MS,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stdout, stderr, rows: matrixRows(stdout, cases) })
      },
    )
  })
}

function matrixRows(stdout: string, cases: readonly string[]): Map<string, string> {
  const rows = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const [id, cell] = line.trim().split(/\s+/)
    if (id !== undefined && cell !== undefined && cases.includes(id)) rows.set(id, cell)
  }
  return rows
}

/** Runs `task`s at most `size` at a time, in the order they ask. */
export function limiter(size: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const waiting: Array<() => void> = []
  return async (task) => {
    // A finishing task hands its slot straight to the next in line, so no newcomer can slip in between.
    if (active < size) active++
    else await new Promise<void>((resolve) => waiting.push(resolve))
    try {
      return await task()
    } finally {
      const next = waiting.shift()
      if (next) next()
      else active--
    }
  }
}
