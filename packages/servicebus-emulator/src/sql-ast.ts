// The tree a SQL filter or rule action parses into, and the error a text Service Bus would refuse
// raises: what the lexer, the parser and the evaluator share.

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

/** A SQL value; undefined is a property the message does not have. */
export type Value = string | number | boolean | null | undefined

/** `sys.Label`, `user.color`, or `color` (a user property). */
export interface Property {
  scope: 'sys' | 'user'
  name: string
}

/** Something with a value. */
export type Expr =
  | { kind: 'constant'; value: Value }
  | { kind: 'property'; property: Property }
  | { kind: 'negate'; operand: Expr }
  | { kind: 'arithmetic'; operator: '+' | '-' | '*' | '/' | '%'; left: Expr; right: Expr }
  | { kind: 'newid' }
  /** `property(name)`: the property a computed name (`'sys.Label'`, `'color'`) names. */
  | { kind: 'propertyNamed'; name: Expr }

/** Something true, false or unknown. */
export type Predicate =
  | { kind: 'and' | 'or'; left: Predicate; right: Predicate }
  | { kind: 'not'; operand: Predicate }
  | { kind: 'compare'; operator: Comparison; left: Expr; right: Expr }
  | { kind: 'isNull'; operand: Expr; negated: boolean }
  | { kind: 'in'; operand: Expr; list: Expr[]; negated: boolean }
  | { kind: 'like'; operand: Expr; pattern: RegExp; negated: boolean }
  | { kind: 'exists'; property: Property }
  /** An expression used as a predicate: true only when it is the boolean true. */
  | { kind: 'value'; operand: Expr }

/** `!=` is read as `<>`. */
export type Comparison = '=' | '<>' | '>' | '>=' | '<' | '<='

/** One statement of a rule action. */
export type Statement =
  | { kind: 'set'; property: Property; value: Expr }
  | { kind: 'remove'; property: Property }
