import {
  type Comparison,
  type Expr,
  type Predicate,
  type Property,
  SqlError,
  type Statement,
} from './sql-ast.js'
import { type Token, tokenize } from './sql-lexer.js'

// Service Bus's SQL filter and action grammar (comparisons, AND/OR/NOT, IN, LIKE … ESCAPE,
// IS [NOT] NULL, EXISTS, arithmetic, `sys.` and `user.` properties, newid(), property()), parsed
// by recursive descent into the tree of sql-ast.ts.

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

const COMPARISONS = ['=', '<>', '!=', '>', '>=', '<', '<=']

class Parser {
  #i = 0
  readonly #tokens: Token[]

  constructor(tokens: Token[]) {
    this.#tokens = tokens
  }

  get #peek(): Token {
    return this.#tokens[this.#i]!
  }
  #keyword(word: string): boolean {
    const t = this.#peek
    if (t.type === 'name' && !t.quoted && t.text.toUpperCase() === word) {
      this.#i++
      return true
    }
    return false
  }
  #operator(text: string): boolean {
    if (this.#peek.type === 'operator' && this.#peek.text === text) {
      this.#i++
      return true
    }
    return false
  }
  #expect(text: string): void {
    if (!this.#operator(text)) throw this.#error(`expected '${text}'`)
  }
  #error(reason: string): SqlError {
    const t = this.#peek
    return new SqlError(`${reason}, found ${t.type === 'end' ? 'the end' : `'${t.text}'`}`, t.position)
  }
  end(): void {
    if (this.#peek.type !== 'end') throw this.#error('expected the end of the expression')
  }

  predicate(): Predicate {
    let left = this.#conjunction()
    while (this.#keyword('OR')) left = { kind: 'or', left, right: this.#conjunction() }
    return left
  }
  #conjunction(): Predicate {
    let left = this.#negation()
    while (this.#keyword('AND')) left = { kind: 'and', left, right: this.#negation() }
    return left
  }
  #negation(): Predicate {
    if (this.#keyword('NOT')) return { kind: 'not', operand: this.#negation() }
    return this.#simple()
  }
  #simple(): Predicate {
    if (this.#keyword('EXISTS')) {
      this.#expect('(')
      const property = this.#property()
      this.#expect(')')
      return { kind: 'exists', property }
    }
    if (this.#peek.type === 'operator' && this.#peek.text === '(') {
      // A parenthesised predicate, unless it turns out to be an expression: `(a + 1) > 2`.
      const at = this.#i
      try {
        this.#i++
        const inner = this.predicate()
        this.#expect(')')
        if (!this.#continuesExpression()) return inner
      } catch (error) {
        if (!(error instanceof SqlError)) throw error
      }
      this.#i = at
    }
    const operand = this.#expression()
    const t = this.#peek
    if (t.type === 'operator' && COMPARISONS.includes(t.text)) {
      this.#i++
      const operator = (t.text === '!=' ? '<>' : t.text) as Comparison
      return { kind: 'compare', operator, left: operand, right: this.#expression() }
    }
    if (this.#keyword('IS')) {
      const negated = this.#keyword('NOT')
      if (!this.#keyword('NULL')) throw this.#error('expected NULL')
      return { kind: 'isNull', operand, negated }
    }
    const negated = this.#keyword('NOT')
    if (this.#keyword('IN')) {
      this.#expect('(')
      const list = [this.#expression()]
      while (this.#operator(',')) list.push(this.#expression())
      this.#expect(')')
      return { kind: 'in', operand, list, negated }
    }
    if (this.#keyword('LIKE')) {
      const pattern = this.#peek
      if (pattern.type !== 'string') throw this.#error('expected a pattern string')
      this.#i++
      let escapeChar: string | undefined
      if (this.#keyword('ESCAPE')) {
        const e = this.#peek
        if (e.type !== 'string' || e.text.length !== 1)
          throw this.#error('expected a one-character escape string')
        this.#i++
        escapeChar = e.text
      }
      return { kind: 'like', operand, pattern: likePattern(pattern.text, escapeChar), negated }
    }
    if (negated) throw this.#error('expected IN or LIKE after NOT')
    return { kind: 'value', operand }
  }
  #continuesExpression(): boolean {
    const t = this.#peek
    return (
      (t.type === 'operator' && [...COMPARISONS, '+', '-', '*', '/', '%'].includes(t.text)) ||
      (t.type === 'name' && ['IS', 'IN', 'LIKE', 'NOT'].includes(t.text.toUpperCase()))
    )
  }

  #expression(): Expr {
    let left = this.#term()
    for (;;) {
      const t = this.#peek
      if (t.type !== 'operator' || (t.text !== '+' && t.text !== '-')) return left
      this.#i++
      left = { kind: 'arithmetic', operator: t.text, left, right: this.#term() }
    }
  }
  #term(): Expr {
    let left = this.#unary()
    for (;;) {
      const t = this.#peek
      if (t.type !== 'operator' || (t.text !== '*' && t.text !== '/' && t.text !== '%')) return left
      this.#i++
      left = { kind: 'arithmetic', operator: t.text, left, right: this.#unary() }
    }
  }
  #unary(): Expr {
    if (this.#operator('-')) return { kind: 'negate', operand: this.#unary() }
    if (this.#operator('+')) return this.#unary()
    return this.#primary()
  }
  #primary(): Expr {
    const t = this.#peek
    if (t.type === 'number') {
      this.#i++
      return { kind: 'constant', value: Number(t.text) }
    }
    if (t.type === 'string') {
      this.#i++
      return { kind: 'constant', value: t.text }
    }
    if (this.#operator('(')) {
      const e = this.#expression()
      this.#expect(')')
      return e
    }
    if (this.#keyword('TRUE')) return { kind: 'constant', value: true }
    if (this.#keyword('FALSE')) return { kind: 'constant', value: false }
    if (this.#keyword('NULL')) return { kind: 'constant', value: null }
    if (t.type === 'name' && !t.quoted && this.#tokens[this.#i + 1]?.text === '(') {
      const name = t.text.toLowerCase()
      this.#i += 2
      if (name === 'newid') {
        this.#expect(')')
        return { kind: 'newid' }
      }
      if (name === 'property') {
        const e = this.#expression()
        this.#expect(')')
        return { kind: 'propertyNamed', name: e }
      }
      throw new SqlError(`unknown function '${t.text}'`, t.position)
    }
    return { kind: 'property', property: this.#property() }
  }
  #property(): Property {
    const t = this.#peek
    if (t.type !== 'name' || (!t.quoted && KEYWORDS.has(t.text.toUpperCase())))
      throw this.#error('expected a property name')
    this.#i++
    const scope = t.text.toLowerCase()
    if (!t.quoted && (scope === 'sys' || scope === 'user') && this.#operator('.')) {
      const name = this.#peek
      if (name.type !== 'name') throw this.#error('expected a property name')
      this.#i++
      return { scope, name: name.text }
    }
    return { scope: 'user', name: t.text }
  }

  statements(): Statement[] {
    const out: Statement[] = []
    do {
      if (this.#peek.type === 'end') break
      if (this.#keyword('SET')) {
        const property = this.#property()
        this.#expect('=')
        out.push({ kind: 'set', property, value: this.#expression() })
      } else if (this.#keyword('REMOVE')) {
        out.push({ kind: 'remove', property: this.#property() })
      } else throw this.#error('expected SET or REMOVE')
    } while (this.#operator(';'))
    if (out.length === 0) throw this.#error('expected SET or REMOVE')
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
