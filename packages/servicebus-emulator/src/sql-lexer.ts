import { SqlError } from './sql-ast.js'

// SQL filter text as tokens: numbers, 'strings' ('' escapes a quote), names (bare or [quoted]),
// and operators.

export interface Token {
  type: 'number' | 'string' | 'name' | 'operator' | 'end'
  text: string
  /** Where the token starts in the text, for errors. */
  position: number
  /** A `[bracketed]` name: never a keyword or function. */
  quoted?: boolean
}

// Longest first: `<>` before `<`.
const OPERATORS = ['<>', '!=', '>=', '<=', '=', '>', '<', '+', '-', '*', '/', '%', '(', ')', ',', '.', ';']

export function tokenize(text: string): Token[] {
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
      out.push({ type: 'number', text: number[1]!, position: start })
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
      out.push({ type: 'string', text: value, position: start })
    } else if (c === '[') {
      const end = text.indexOf(']', i)
      if (end < 0) throw new SqlError('unterminated [name]', start)
      out.push({ type: 'name', text: text.slice(i + 1, end), position: start, quoted: true })
      i = end + 1
    } else if (/[A-Za-z_$@]/.test(c)) {
      const word = /^[A-Za-z_$@][A-Za-z0-9_$@]*/.exec(text.slice(i))![0]
      out.push({ type: 'name', text: word, position: start })
      i += word.length
    } else {
      const operator = OPERATORS.find((o) => text.startsWith(o, i))
      if (!operator) throw new SqlError(`unexpected character '${c}'`, start)
      out.push({ type: 'operator', text: operator, position: start })
      i += operator.length
    }
  }
  out.push({ type: 'end', text: '', position: text.length })
  return out
}
