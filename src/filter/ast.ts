/**
 * The parsed filter_query: an immutable tree of kind-tagged nodes. Every node records `at`, the
 * offset of its first character, so later stages can point at the place of an error.
 *
 * Nodes are created only by the constructors below, which freeze them (arrays included).
 *
 * @example
 * `name = 'a' AND NOT id IN (1, 2)` parses to
 * ```
 * logical AND
 * ├─ comparison =  (path name, literal STRING 'a')
 * └─ not
 *    └─ in  (path id; literal INT64 1, literal INT64 2)
 * ```
 */

/** A literal's value with its ZetaSQL type. Integers above int64 (ZetaSQL's UINT64 range) stay exact. */
export type LiteralValue =
  | { readonly type: 'INT64'; readonly value: bigint }
  | { readonly type: 'DOUBLE'; readonly value: number }
  | { readonly type: 'STRING'; readonly value: string }
  | { readonly type: 'BOOL'; readonly value: boolean }
  | { readonly type: 'NULL' }

/** `1`, `2.5`, `'text'`, `TRUE`, `NULL`. */
export interface LiteralNode {
  readonly kind: 'literal'
  readonly at: number
  readonly literal: LiteralValue
}

/** One dot-separated part of a path. `quoted` when it was written in backquotes. */
export interface PathSegment {
  readonly name: string
  readonly quoted: boolean
  readonly at: number
}

/** A name: `id`, `contexts_a.name`, ``properties.`my p`.int_value``, or an enum name like `LIVE`. */
export interface PathNode {
  readonly kind: 'path'
  readonly at: number
  readonly segments: readonly PathSegment[]
}

/** `LOWER(name)`. */
export interface CallNode {
  readonly kind: 'call'
  readonly at: number
  readonly name: string
  readonly args: readonly FilterNode[]
}

/** Unary minus (a minus directly before a number literal is folded into the literal). */
export interface NegateNode {
  readonly kind: 'negate'
  readonly at: number
  readonly operand: FilterNode
}

export const ARITHMETIC_OPERATORS = ['+', '-', '*', '/', '||'] as const
export type ArithmeticOperator = (typeof ARITHMETIC_OPERATORS)[number]

/** `a + b`, `a - b`, `a * b`, `a / b`, `a || b`. */
export interface ArithmeticNode {
  readonly kind: 'arithmetic'
  readonly at: number
  readonly op: ArithmeticOperator
  readonly left: FilterNode
  readonly right: FilterNode
}

export const COMPARISON_OPERATORS = ['=', '!=', '<>', '<', '<=', '>', '>='] as const
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number]

/** `a = b` and the other comparisons. */
export interface ComparisonNode {
  readonly kind: 'comparison'
  readonly at: number
  readonly op: ComparisonOperator
  readonly left: FilterNode
  readonly right: FilterNode
}

/** `NOT a`. */
export interface NotNode {
  readonly kind: 'not'
  readonly at: number
  readonly operand: FilterNode
}

/** `a AND b AND c` or `a OR b OR c`: chains are flat, so long chains do not make deep trees. */
export interface LogicalNode {
  readonly kind: 'logical'
  readonly at: number
  readonly op: 'AND' | 'OR'
  readonly operands: readonly FilterNode[]
}

/** `a [NOT] IN (x, y)`. */
export interface InNode {
  readonly kind: 'in'
  readonly at: number
  readonly negated: boolean
  readonly operand: FilterNode
  readonly list: readonly FilterNode[]
}

/** `a [NOT] LIKE pattern`. */
export interface LikeNode {
  readonly kind: 'like'
  readonly at: number
  readonly negated: boolean
  readonly operand: FilterNode
  readonly pattern: FilterNode
}

/** `a [NOT] BETWEEN low AND high`. */
export interface BetweenNode {
  readonly kind: 'between'
  readonly at: number
  readonly negated: boolean
  readonly operand: FilterNode
  readonly low: FilterNode
  readonly high: FilterNode
}

/** `a IS [NOT] NULL`, `a IS [NOT] TRUE`, `a IS [NOT] FALSE`. */
export interface IsNode {
  readonly kind: 'is'
  readonly at: number
  readonly negated: boolean
  readonly operand: FilterNode
  readonly test: 'NULL' | 'TRUE' | 'FALSE'
}

/** Any node of a parsed filter_query. */
export type FilterNode =
  | LiteralNode
  | PathNode
  | CallNode
  | NegateNode
  | ArithmeticNode
  | ComparisonNode
  | NotNode
  | LogicalNode
  | InNode
  | LikeNode
  | BetweenNode
  | IsNode

/** The children of a node, in source order. */
export function childrenOf(node: FilterNode): readonly FilterNode[] {
  switch (node.kind) {
    case 'literal':
    case 'path':
      return []
    case 'call':
      return node.args
    case 'negate':
    case 'not':
      return [node.operand]
    case 'arithmetic':
    case 'comparison':
      return [node.left, node.right]
    case 'logical':
      return node.operands
    case 'in':
      return [node.operand, ...node.list]
    case 'like':
      return [node.operand, node.pattern]
    case 'between':
      return [node.operand, node.low, node.high]
    case 'is':
      return [node.operand]
  }
}

function frozen<T extends FilterNode>(node: T): T {
  return Object.freeze(node)
}

/** Node constructors; each returns a frozen node. */
export const node = {
  literal: (at: number, literal: LiteralValue): LiteralNode =>
    frozen({ kind: 'literal', at, literal: Object.freeze(literal) }),
  path: (at: number, segments: readonly PathSegment[]): PathNode =>
    frozen({ kind: 'path', at, segments: Object.freeze(segments.map((s) => Object.freeze({ ...s }))) }),
  call: (at: number, name: string, args: readonly FilterNode[]): CallNode =>
    frozen({ kind: 'call', at, name, args: Object.freeze([...args]) }),
  negate: (at: number, operand: FilterNode): NegateNode => frozen({ kind: 'negate', at, operand }),
  arithmetic: (at: number, op: ArithmeticOperator, left: FilterNode, right: FilterNode): ArithmeticNode =>
    frozen({ kind: 'arithmetic', at, op, left, right }),
  comparison: (at: number, op: ComparisonOperator, left: FilterNode, right: FilterNode): ComparisonNode =>
    frozen({ kind: 'comparison', at, op, left, right }),
  not: (at: number, operand: FilterNode): NotNode => frozen({ kind: 'not', at, operand }),
  logical: (at: number, op: 'AND' | 'OR', operands: readonly FilterNode[]): LogicalNode =>
    frozen({ kind: 'logical', at, op, operands: Object.freeze([...operands]) }),
  in: (at: number, negated: boolean, operand: FilterNode, list: readonly FilterNode[]): InNode =>
    frozen({ kind: 'in', at, negated, operand, list: Object.freeze([...list]) }),
  like: (at: number, negated: boolean, operand: FilterNode, pattern: FilterNode): LikeNode =>
    frozen({ kind: 'like', at, negated, operand, pattern }),
  between: (
    at: number,
    negated: boolean,
    operand: FilterNode,
    low: FilterNode,
    high: FilterNode,
  ): BetweenNode => frozen({ kind: 'between', at, negated, operand, low, high }),
  is: (at: number, negated: boolean, operand: FilterNode, test: IsNode['test']): IsNode =>
    frozen({ kind: 'is', at, negated, operand, test }),
} as const
