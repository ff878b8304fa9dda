// Preloaded by `pnpm example` in this checkout only. openQueueClient() imports a URL's adapter from
// where @anyqueue/queue-core is installed; in this workspace that is packages/queue-core, from which
// the adapters do not resolve (an app installing the packages from npm has them side by side).
// Importing them here registers their schemes, as an app bundling its adapter would.
import '@anyqueue/queue-local'
import '@anyqueue/queue-memory'
import '@anyqueue/queue-sqs'
