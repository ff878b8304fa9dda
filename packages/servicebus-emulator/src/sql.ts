// Service Bus's SQL filter and action language: sql-lexer.ts turns text into tokens, sql-parser.ts
// tokens into the tree of sql-ast.ts, sql-evaluate.ts evaluates the tree against a message. This
// file is what the rest of the emulator imports.

export type { Expr, Predicate, Property, Statement, Value } from './sql-ast.js'
export { SqlError } from './sql-ast.js'
export { evaluate, type SqlContext, test } from './sql-evaluate.js'
export { parseAction, parseFilter } from './sql-parser.js'
