import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'

/** A static file the page loads: its bytes and content type. */
export interface Asset {
  body: string
  type: string
}

const require = createRequire(import.meta.url)
const own = (file: string) => new URL(`../public/${file}`, import.meta.url)

/**
 * The page's files, read once: our own script and styles from `public/`, and uPlot's ES module and
 * styles straight from its package in node_modules — served as they are published, no build step.
 */
export async function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  const files: [string, string | URL, string][] = [
    ['app.js', own('app.js'), 'text/javascript; charset=utf-8'],
    ['app.css', own('app.css'), 'text/css; charset=utf-8'],
    ['uplot.js', require.resolve('uplot/dist/uPlot.esm.js'), 'text/javascript; charset=utf-8'],
    ['uplot.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ]
  const loaded = await Promise.all(
    files.map(async ([name, path, type]) => [name, { body: await readFile(path, 'utf8'), type }] as const),
  )
  return new Map(loaded)
}
