import { randomUUID } from 'node:crypto'
import type { Comparison, Expr, Predicate, Property, Value } from './sql-ast.js'

// A parsed filter evaluated with SQL's three-valued logic: a comparison with a missing property is
// unknown (null), and only a filter that is true matches.

/** What a filter reads: a message's system properties by name and its application properties. */
export interface SqlContext {
  sys(name: string): Value
  user(name: string): Value
  hasUser(name: string): boolean
}

function read(property: Property, context: SqlContext): Value {
  return property.scope === 'sys' ? context.sys(property.name) : context.user(property.name)
}

export function evaluate(e: Expr, context: SqlContext): Value {
  switch (e.kind) {
    case 'constant':
      return e.value
    case 'property':
      return read(e.property, context)
    case 'newid':
      return randomUUID()
    case 'propertyNamed': {
      const name = evaluate(e.name, context)
      if (typeof name !== 'string') return undefined
      const dot = name.indexOf('.')
      const scope = name.slice(0, dot).toLowerCase()
      return dot > 0 && (scope === 'sys' || scope === 'user')
        ? read({ scope, name: name.slice(dot + 1) }, context)
        : context.user(name)
    }
    case 'negate': {
      const v = evaluate(e.operand, context)
      return typeof v === 'number' ? -v : null
    }
    case 'arithmetic': {
      const l = evaluate(e.left, context)
      const r = evaluate(e.right, context)
      if (e.operator === '+' && typeof l === 'string' && typeof r === 'string') return l + r
      if (typeof l !== 'number' || typeof r !== 'number') return null
      if (e.operator === '+') return l + r
      if (e.operator === '-') return l - r
      if (e.operator === '*') return l * r
      if (r === 0) return null
      if (e.operator === '/') return Number.isInteger(l) && Number.isInteger(r) ? Math.trunc(l / r) : l / r
      return l % r
    }
  }
}

/** SQL's three values: true, false, or null for unknown. */
export function test(p: Predicate, context: SqlContext): boolean | null {
  switch (p.kind) {
    case 'and': {
      const l = test(p.left, context)
      if (l === false) return false
      const r = test(p.right, context)
      return r === false ? false : l === null || r === null ? null : true
    }
    case 'or': {
      const l = test(p.left, context)
      if (l === true) return true
      const r = test(p.right, context)
      return r === true ? true : l === null || r === null ? null : false
    }
    case 'not': {
      const v = test(p.operand, context)
      return v === null ? null : !v
    }
    case 'compare':
      return compare(p.operator, evaluate(p.left, context), evaluate(p.right, context))
    case 'isNull': {
      const v = evaluate(p.operand, context)
      return (v === null || v === undefined) !== p.negated
    }
    case 'in': {
      const v = evaluate(p.operand, context)
      if (v === null || v === undefined) return null
      const found = p.list.some((item) => compare('=', v, evaluate(item, context)) === true)
      return found !== p.negated
    }
    case 'like': {
      const v = evaluate(p.operand, context)
      if (typeof v !== 'string') return null
      return p.pattern.test(v) !== p.negated
    }
    case 'exists':
      return p.property.scope === 'sys'
        ? context.sys(p.property.name) !== undefined
        : context.hasUser(p.property.name)
    case 'value': {
      const v = evaluate(p.operand, context)
      return typeof v === 'boolean' ? v : null
    }
  }
}

function compare(operator: Comparison, l: Value, r: Value): boolean | null {
  if (l === null || l === undefined || r === null || r === undefined) return null
  if (typeof l !== typeof r) return null
  if (typeof l === 'boolean' && operator !== '=' && operator !== '<>') return null
  switch (operator) {
    case '=':
      return l === r
    case '<>':
      return l !== r
    case '>':
      return l > r
    case '>=':
      return l >= r
    case '<':
      return l < r
    case '<=':
      return l <= r
  }
}
