// Run by the SIGKILL case in a child process: opens the target a module exports, consumes one queue,
// prints "started <id>" when a handler begins, and never finishes it — the parent kills the process.
import { pathToFileURL } from 'node:url'
import { consume, QueueClient } from '@anyqueue/queue-core'
import type { ConformanceTarget } from './target.js'

const [module, store, name] = process.argv.slice(2) as [string, string, string]
const { default: target } = (await import(pathToFileURL(module).href)) as { default: ConformanceTarget }
const client = new QueueClient(await target.open(store))
consume(
  client.queue(name),
  async (message) => {
    process.stdout.write(`started ${message.id}\n`)
    await new Promise(() => {})
  },
  { waitSeconds: 1, onError: (error) => process.stderr.write(`${String(error)}\n`) },
)
