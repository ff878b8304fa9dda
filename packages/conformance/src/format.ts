import type { CaseStatus } from './run.js'

export interface MatrixCell {
  status: CaseStatus
  reason?: string | undefined
  notes?: string[]
}

const MARK: Record<CaseStatus, string> = { passed: 'pass', failed: 'FAIL', skipped: 'skip' }

/**
 * Renders the driver × case matrix as plain text: one row per case, one column per driver, then the
 * reasons for every skip and failure, then a closing `N passed, N failed, N skipped` line.
 */
export function formatMatrix(
  drivers: string[],
  cases: string[],
  cell: (driver: string, testCase: string) => MatrixCell | undefined,
): string {
  const caseWidth = Math.min(90, Math.max(4, ...cases.map((c) => c.length)))
  const widths = drivers.map((d) => Math.max(4, d.length))
  const lines: string[] = []
  const clip = (text: string) =>
    text.length > caseWidth ? `${text.slice(0, caseWidth - 1)}…` : text.padEnd(caseWidth)
  lines.push(`${'case'.padEnd(caseWidth)}  ${drivers.map((d, i) => d.padEnd(widths[i]!)).join('  ')}`)
  lines.push(`${'-'.repeat(caseWidth)}  ${widths.map((w) => '-'.repeat(w)).join('  ')}`)
  const details: string[] = []
  const counts: Record<CaseStatus, number> = { passed: 0, failed: 0, skipped: 0 }
  for (const testCase of cases) {
    const row = drivers.map((driver, i) => {
      const c = cell(driver, testCase)
      if (!c) return '·'.padEnd(widths[i]!)
      counts[c.status]++
      if (c.status !== 'passed' && c.reason)
        details.push(`  ${driver} · ${testCase}: ${MARK[c.status]} — ${c.reason}`)
      for (const note of c.notes ?? []) details.push(`  ${driver} · ${testCase}: ${note}`)
      return MARK[c.status].padEnd(widths[i]!)
    })
    lines.push(`${clip(testCase)}  ${row.join('  ')}`)
  }
  if (details.length > 0) lines.push('', 'notes, skips and failures:', ...details)
  lines.push('', `conformance: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
  return lines.join('\n')
}

/** The annotation type of a target's timing line: the matrix reporter prints it above the matrix. */
export const TIMING_ANNOTATION = 'conformance-timing'
