// Loaded with `node --import` in the child that runs the conformance CLI: every import of
// @anyqueue/queue-core (by the suite and by the local driver alike) then loads the copy of the core
// in ANYQUEUE_CORE_DIST, the mutant under test, instead of the built package.
import { register } from 'node:module'

const dist = process.env.ANYQUEUE_CORE_DIST
if (!dist) throw new Error('broken-cores/register.mjs: set ANYQUEUE_CORE_DIST to the folder of a copied dist')
register('./hooks.mjs', import.meta.url, { data: { dist } })
