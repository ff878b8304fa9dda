import type { Reporter, TestModule } from 'vitest/node'
import { formatMatrix, type MatrixCell, TIMING_ANNOTATION } from './format.js'

/**
 * A vitest reporter that prints the conformance matrix (driver × case) at the end of a run. Use it
 * beside the default reporter: `reporters: ['default', '@anyqueue/conformance/reporter']`.
 */
export default class MatrixReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const drivers: string[] = []
    const cases: string[] = []
    const cells = new Map<string, MatrixCell>()
    const timing: string[] = []
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const driver = test.parent.type === 'suite' ? test.parent.name : module.moduleId
        const result = test.result()
        if (result.state === 'pending') continue
        if (!drivers.includes(driver)) drivers.push(driver)
        if (!cases.includes(test.name)) cases.push(test.name)
        const reason =
          result.state === 'skipped'
            ? (result.note ?? 'skipped')
            : result.state === 'failed'
              ? result.errors?.[0]?.message?.split('\n')[0]
              : undefined
        const annotations = test.annotations()
        for (const a of annotations) if (a.type === TIMING_ANNOTATION) timing.push(a.message)
        cells.set(`${driver}\u0000${test.name}`, {
          status: result.state,
          reason,
          notes: annotations.filter((a) => a.type !== TIMING_ANNOTATION).map((a) => a.message),
        })
      }
    }
    if (drivers.length === 0) return
    // One line per target: how fast its backend was and how the suite sized itself to it.
    if (timing.length > 0) process.stdout.write(`\n${timing.join('\n')}\n`)
    process.stdout.write(`\n${formatMatrix(drivers, cases, (d, c) => cells.get(`${d}\u0000${c}`))}\n`)
  }
}
