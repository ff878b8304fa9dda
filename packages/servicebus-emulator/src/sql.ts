import { randomUUID } from 'node:crypto'

// Service Bus's SQL filter and action language (the published grammar: comparisons, AND/OR/NOT,
// IN, LIKE … ESCAPE, IS [NOT] NULL, EXISTS, arithmetic, `sys.` and `user.` properties, newid(),
// property()), parsed by recursive descent into a tree and evaluated with SQL's three-valued logic:
// a comparison with a missing property is unknown, and only a filter that is true matches.

/** A filter or action Service Bus would refuse: says where. */
export class SqlError extends Error {
  override name = 'SqlError'
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(`${reason} at position ${position}`)
  }
}

export type Value = string | number | boolean | null | undefined
export interface Property {
  scope: 'sys' | 'user'
  name: string
}
export type Expr =
  | { k: 'const'; v: Value }
  | { k: 'prop'; p: Property }
  | { k: 'neg'; e: Expr }
  | { k: 'arith'; op: string; l: Expr; r: Expr }
  | { k: 'newid' }
  | { k: 'property'; e: Expr }
export type Predicate =
  | { k: 'and' | 'or'; l: Predicate; r: Predicate }
  | { k: 'not'; p: Predicate }
  | { k: 'cmp'; op: string; l: Expr; r: Expr }
  | { k: 'null'; e: Expr; not: boolean }
  | { k: 'in'; e: Expr; list: Expr[]; not: boolean }
  | { k: 'like'; e: Expr; pattern: RegExp; not: boolean }
  | { k: 'exists'; p: Property }
  | { k: 'value'; e: Expr }
export type Statement = { k: 'set'; p: Property; e: Expr } | { k: 'remove'; p: Property }

/** What a filter reads: a message's system properties by name and its application properties. */
export interface SqlContext {
  sys(name: string): Value
  user(name: string): Value
  hasUser(name: string): boolean
}

type Token = { t: 'num' | 'str' | 'id' | 'op' | 'end'; v: string; pos: number; quoted?: boolean }

const OPS = ['<>', '!=', '>=', '<=', '=', '>', '<', '+', '-', '*', '/', '%', '(', ')', ',', '.', ';']

function tokenize(text: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    const start = i
    const number = /^(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/.exec(text.slice(i))
    if (number) {
      out.push({ t: 'num', v: number[1]!, pos: start })
      i += number[1]!.length
    } else if (c === "'") {
      let value = ''
      for (i++; ; i++) {
        if (i >= text.length) throw new SqlError('unterminated string', start)
        if (text[i] === "'") {
          if (text[i + 1] !== "'") break
          i++
        }
        value += text[i]
      }
      i++
      out.push({ t: 'str', v: value, pos: start })
    } else if (c === '[') {
      const end = text.indexOf(']', i)
      if (end < 0) throw new SqlError('unterminated [name]', start)
      out.push({ t: 'id', v: text.slice(i + 1, end), pos: start, quoted: true })
      i = end + 1
    } else if (/[A-Za-z_$@]/.test(c)) {
      const word = /^[A-Za-z_$@][A-Za-z0-9_$@]*/.exec(text.slice(i))![0]
      out.push({ t: 'id', v: word, pos: start })
      i += word.length
    } else {
      const op = OPS.find((o) => text.startsWith(o, i))
      if (!op) throw new SqlError(`unexpected character '${c}'`, start)
      out.push({ t: 'op', v: op, pos: start })
      i += op.length
    }
  }
  out.push({ t: 'end', v: '', pos: text.length })
  return out
}

const KEYWORDS = new Set([
  'AND',
  'OR',
  'NOT',
  'IS',
  'NULL',
  'IN',
  'LIKE',
  'ESCAPE',
  'EXISTS',
  'TRUE',
  'FALSE',
  'SET',
  'REMOVE',
])

class Parser {
  private i = 0
  constructor(private readonly tokens: Token[]) {}

  private get peek(): Token {
    return this.tokens[this.i]!
  }
  private keyword(word: string): boolean {
    const t = this.peek
    if (t.t === 'id' && !t.quoted && t.v.toUpperCase() === word) {
      this.i++
      return true
    }
    return false
  }
  private op(value: string): boolean {
    if (this.peek.t === 'op' && this.peek.v === value) {
      this.i++
      return true
    }
    return false
  }
  private expect(value: string): void {
    if (!this.op(value)) throw this.error(`expected '${value}'`)
  }
  error(reason: string): SqlError {
    const t = this.peek
    return new SqlError(`${reason}, found ${t.t === 'end' ? 'the end' : `'${t.v}'`}`, t.pos)
  }
  end(): void {
    if (this.peek.t !== 'end') throw this.error('expected the end of the expression')
  }

  predicate(): Predicate {
    let left = this.conjunction()
    while (this.keyword('OR')) left = { k: 'or', l: left, r: this.conjunction() }
    return left
  }
  private conjunction(): Predicate {
    let left = this.negation()
    while (this.keyword('AND')) left = { k: 'and', l: left, r: this.negation() }
    return left
  }
  private negation(): Predicate {
    if (this.keyword('NOT')) return { k: 'not', p: this.negation() }
    return this.simple()
  }
  private simple(): Predicate {
    if (this.keyword('EXISTS')) {
      this.expect('(')
      const p = this.property()
      this.expect(')')
      return { k: 'exists', p }
    }
    if (this.peek.t === 'op' && this.peek.v === '(') {
      // A parenthesised predicate, unless it turns out to be an expression: `(a + 1) > 2`.
      const at = this.i
      try {
        this.i++
        const inner = this.predicate()
        this.expect(')')
        if (!this.continuesExpression()) return inner
      } catch (error) {
        if (!(error instanceof SqlError)) throw error
      }
      this.i = at
    }
    const left = this.expression()
    const t = this.peek
    if (t.t === 'op' && ['=', '<>', '!=', '>', '>=', '<', '<='].includes(t.v)) {
      this.i++
      return { k: 'cmp', op: t.v === '!=' ? '<>' : t.v, l: left, r: this.expression() }
    }
    if (this.keyword('IS')) {
      const not = this.keyword('NOT')
      if (!this.keyword('NULL')) throw this.error('expected NULL')
      return { k: 'null', e: left, not }
    }
    const not = this.keyword('NOT')
    if (this.keyword('IN')) {
      this.expect('(')
      const list = [this.expression()]
      while (this.op(',')) list.push(this.expression())
      this.expect(')')
      return { k: 'in', e: left, list, not }
    }
    if (this.keyword('LIKE')) {
      const pattern = this.peek
      if (pattern.t !== 'str') throw this.error('expected a pattern string')
      this.i++
      let escapeChar: string | undefined
      if (this.keyword('ESCAPE')) {
        const e = this.peek
        if (e.t !== 'str' || e.v.length !== 1) throw this.error('expected a one-character escape string')
        this.i++
        escapeChar = e.v
      }
      return { k: 'like', e: left, pattern: likePattern(pattern.v, escapeChar), not }
    }
    if (not) throw this.error('expected IN or LIKE after NOT')
    return { k: 'value', e: left }
  }
  private continuesExpression(): boolean {
    const t = this.peek
    return (
      (t.t === 'op' && ['=', '<>', '!=', '>', '>=', '<', '<=', '+', '-', '*', '/', '%'].includes(t.v)) ||
      (t.t === 'id' && ['IS', 'IN', 'LIKE', 'NOT'].includes(t.v.toUpperCase()))
    )
  }

  expression(): Expr {
    let left = this.term()
    for (;;) {
      const t = this.peek
      if (t.t !== 'op' || (t.v !== '+' && t.v !== '-')) return left
      this.i++
      left = { k: 'arith', op: t.v, l: left, r: this.term() }
    }
  }
  private term(): Expr {
    let left = this.unary()
    for (;;) {
      const t = this.peek
      if (t.t !== 'op' || !['*', '/', '%'].includes(t.v)) return left
      this.i++
      left = { k: 'arith', op: t.v, l: left, r: this.unary() }
    }
  }
  private unary(): Expr {
    if (this.op('-')) return { k: 'neg', e: this.unary() }
    if (this.op('+')) return this.unary()
    return this.primary()
  }
  private primary(): Expr {
    const t = this.peek
    if (t.t === 'num') {
      this.i++
      return { k: 'const', v: Number(t.v) }
    }
    if (t.t === 'str') {
      this.i++
      return { k: 'const', v: t.v }
    }
    if (this.op('(')) {
      const e = this.expression()
      this.expect(')')
      return e
    }
    if (this.keyword('TRUE')) return { k: 'const', v: true }
    if (this.keyword('FALSE')) return { k: 'const', v: false }
    if (this.keyword('NULL')) return { k: 'const', v: null }
    if (t.t === 'id' && !t.quoted && this.tokens[this.i + 1]?.v === '(') {
      const name = t.v.toLowerCase()
      this.i += 2
      if (name === 'newid') {
        this.expect(')')
        return { k: 'newid' }
      }
      if (name === 'property') {
        const e = this.expression()
        this.expect(')')
        return { k: 'property', e }
      }
      throw new SqlError(`unknown function '${t.v}'`, t.pos)
    }
    return { k: 'prop', p: this.property() }
  }
  property(): Property {
    const t = this.peek
    if (t.t !== 'id' || (!t.quoted && KEYWORDS.has(t.v.toUpperCase())))
      throw this.error('expected a property name')
    this.i++
    const scope = t.v.toLowerCase()
    if (!t.quoted && (scope === 'sys' || scope === 'user') && this.op('.')) {
      const name = this.peek
      if (name.t !== 'id') throw this.error('expected a property name')
      this.i++
      return { scope, name: name.v }
    }
    return { scope: 'user', name: t.v }
  }

  statements(): Statement[] {
    const out: Statement[] = []
    do {
      if (this.peek.t === 'end') break
      if (this.keyword('SET')) {
        const p = this.property()
        this.expect('=')
        out.push({ k: 'set', p, e: this.expression() })
      } else if (this.keyword('REMOVE')) {
        out.push({ k: 'remove', p: this.property() })
      } else throw this.error('expected SET or REMOVE')
    } while (this.op(';'))
    if (out.length === 0) throw this.error('expected SET or REMOVE')
    return out
  }
}

function likePattern(pattern: string, escapeChar: string | undefined): RegExp {
  let source = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!
    if (escapeChar !== undefined && c === escapeChar && i + 1 < pattern.length) {
      source += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    } else if (c === '%') source += '[\\s\\S]*'
    else if (c === '_') source += '[\\s\\S]'
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}

/** Parses a SQL filter expression. */
export function parseFilter(text: string): Predicate {
  const parser = new Parser(tokenize(text))
  const predicate = parser.predicate()
  parser.end()
  return predicate
}

/** Parses a SQL rule action: `SET p = expr`, `REMOVE p`, separated by `;`. */
export function parseAction(text: string): Statement[] {
  const parser = new Parser(tokenize(text))
  const statements = parser.statements()
  parser.end()
  return statements
}

function read(p: Property, context: SqlContext): Value {
  return p.scope === 'sys' ? context.sys(p.name) : context.user(p.name)
}

export function evaluate(e: Expr, context: SqlContext): Value {
  switch (e.k) {
    case 'const':
      return e.v
    case 'prop':
      return read(e.p, context)
    case 'newid':
      return randomUUID()
    case 'property': {
      const name = evaluate(e.e, context)
      if (typeof name !== 'string') return undefined
      const dot = name.indexOf('.')
      const scope = name.slice(0, dot).toLowerCase()
      return dot > 0 && (scope === 'sys' || scope === 'user')
        ? read({ scope, name: name.slice(dot + 1) }, context)
        : context.user(name)
    }
    case 'neg': {
      const v = evaluate(e.e, context)
      return typeof v === 'number' ? -v : null
    }
    case 'arith': {
      const l = evaluate(e.l, context)
      const r = evaluate(e.r, context)
      if (e.op === '+' && typeof l === 'string' && typeof r === 'string') return l + r
      if (typeof l !== 'number' || typeof r !== 'number') return null
      if (e.op === '+') return l + r
      if (e.op === '-') return l - r
      if (e.op === '*') return l * r
      if (r === 0) return null
      if (e.op === '/') return Number.isInteger(l) && Number.isInteger(r) ? Math.trunc(l / r) : l / r
      return l % r
    }
  }
}

/** SQL's three values: true, false, or null for unknown. */
export function test(p: Predicate, context: SqlContext): boolean | null {
  switch (p.k) {
    case 'and': {
      const l = test(p.l, context)
      if (l === false) return false
      const r = test(p.r, context)
      return r === false ? false : l === null || r === null ? null : true
    }
    case 'or': {
      const l = test(p.l, context)
      if (l === true) return true
      const r = test(p.r, context)
      return r === true ? true : l === null || r === null ? null : false
    }
    case 'not': {
      const v = test(p.p, context)
      return v === null ? null : !v
    }
    case 'cmp':
      return compare(p.op, evaluate(p.l, context), evaluate(p.r, context))
    case 'null': {
      const v = evaluate(p.e, context)
      return (v === null || v === undefined) !== p.not
    }
    case 'in': {
      const v = evaluate(p.e, context)
      if (v === null || v === undefined) return null
      const found = p.list.some((item) => compare('=', v, evaluate(item, context)) === true)
      return found !== p.not
    }
    case 'like': {
      const v = evaluate(p.e, context)
      if (typeof v !== 'string') return null
      return p.pattern.test(v) !== p.not
    }
    case 'exists':
      return p.p.scope === 'sys' ? context.sys(p.p.name) !== undefined : context.hasUser(p.p.name)
    case 'value': {
      const v = evaluate(p.e, context)
      return typeof v === 'boolean' ? v : null
    }
  }
}

function compare(op: string, l: Value, r: Value): boolean | null {
  if (l === null || l === undefined || r === null || r === undefined) return null
  if (typeof l !== typeof r) return null
  if (typeof l === 'boolean' && op !== '=' && op !== '<>') return null
  switch (op) {
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
    default:
      return l <= r
  }
}
