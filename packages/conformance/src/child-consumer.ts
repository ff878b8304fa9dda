// Run by the SIGKILL case in a child process: opens the target a module exports, consumes one queue,
// prints "started <id>" when a handler begins, and never finishes it — the parent kills the process.
import { consume, QueueClient } from '@anyqueue/queue-core'
import { loadTarget } from './load-target.js'

const [module, store, name] = process.argv.slice(2) as [string, string, string]
const target = await loadTarget(module)
const client = new QueueClient(await target.open(store))
consume(
  client.queue(name),
  async (message) => {
    process.stdout.write(`started ${message.id}\n`)
    await new Promise(() => {})
  },
  { waitSeconds: 1, onError: (error) => process.stderr.write(`${String(error)}\n`) },
)
