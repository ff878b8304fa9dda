// Checks each packed tarball the way a registry user would get it: the LICENSE (the repository's),
// a README, no workspace: protocol left in package.json, and every file `exports` and `bin` name.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const [dir, licensePath] = process.argv.slice(2)
const license = readFileSync(licensePath, 'utf8')
const problems = []
const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz'))
for (const tarball of tarballs) {
  const path = join(dir, tarball)
  const files = new Set(execFileSync('tar', ['tzf', path], { encoding: 'utf8' }).split('\n').filter(Boolean))
  const read = (file) => execFileSync('tar', ['xzf', path, '-O', `package/${file}`], { encoding: 'utf8' })
  const pkg = JSON.parse(read('package.json'))
  const where = `${pkg.name} (${tarball})`
  if (!files.has('package/LICENSE')) problems.push(`${where}: no LICENSE`)
  else if (read('LICENSE') !== license) problems.push(`${where}: LICENSE differs from the repository's`)
  if (!files.has('package/README.md')) problems.push(`${where}: no README.md`)
  if (JSON.stringify(pkg).includes('workspace:'))
    problems.push(`${where}: package.json still says workspace:`)
  for (const target of [...targets(pkg.exports), ...Object.values(pkg.bin ?? {})]) {
    const file = target.replace(/^\.\//, '')
    if (!files.has(`package/${file}`))
      problems.push(`${where}: exports or bin name ${file}, not in the tarball`)
  }
  for (const file of files)
    if (/\.test\.|\/test\//.test(file)) problems.push(`${where}: ships a test file, ${file}`)
}
if (tarballs.length === 0) problems.push(`no tarballs in ${dir}`)
if (problems.length > 0) {
  console.error(`install-test: ${problems.length} problem(s) in the tarballs:\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log(`install-test: ${tarballs.length} tarballs ship LICENSE, README and every exported file`)

function targets(exports) {
  if (typeof exports === 'string') return [exports]
  if (exports === null || typeof exports !== 'object') return []
  return Object.values(exports).flatMap(targets)
}
