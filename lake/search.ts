import type {ExprNode} from 'groq-js'

import {LakeError} from './errors'
import {View} from './groq'

/**
 * `text::query()` for the local lake, part of the one query path (groq.ts `compileQuery`
 * and `evaluateOver`): every route that answers GROQ supports it. groq-js parses it but has no search engine, and the
 * Studio's search and document-list filter use it as `[@, _id] match text::query($q)`.
 *
 * The query's syntax tree is rewritten before groq-js evaluates it:
 * - `X match text::query(q)` becomes `X match [terms]` plus `!(X match term)` for `-term`
 *   exclusions (`term*` prefixes are native to groq-js' `match`; a quoted phrase needs all
 *   its words, in any order);
 * - `@` on the left of such a `match` (which Content Lake reads as "any text in the
 *   document") becomes a hidden attribute holding every string of the document.
 * Only queries that call `text::query` get the searchable documents; they see the same
 * documents (perspective, private ids) as any other query.
 */

/** The hidden attribute's name: GROQ source cannot spell it by accident. */
const TEXT_KEY = '\u0000lake:text'

export function usesTextQuery(tree: ExprNode): boolean {
  const stack: unknown[] = [tree]
  while (stack.length > 0) {
    const node = stack.pop()
    if (isTextQueryCall(node)) return true
    if (Array.isArray(node)) stack.push(...(node as unknown[]))
    else if (isNode(node)) for (const key in node) stack.push(node[key])
  }
  return false
}

interface SearchTerms {
  required: string[]
  excluded: string[]
}

/** Sanity's search syntax: words, `word*` prefixes, `-word` exclusions, `"quoted phrases"`. */
export function parseSearchTerms(text: string): SearchTerms {
  const required: string[] = []
  const excluded: string[] = []
  for (const raw of text.match(/-?"[^"]*"|\S+/g) ?? []) {
    const negated = raw.startsWith('-') && raw.length > 1
    const body = (negated ? raw.slice(1) : raw).replace(/^"|"$/g, '')
    const words = body.split(/\s+/).filter(Boolean)
    if (negated) excluded.push(...words)
    else required.push(...words)
  }
  return {required, excluded}
}

type Node = Record<string, unknown>

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isTextQueryCall(node: unknown): node is Node & {args: unknown[]} {
  return isNode(node) && node.type === 'FuncCall' && node.namespace === 'text' && node.name === 'query' && Array.isArray(node.args)
}

function constantString(node: unknown, params: Record<string, unknown>): string {
  if (isNode(node) && node.type === 'Value' && typeof node.value === 'string') return node.value
  if (isNode(node) && node.type === 'Parameter' && typeof node.name === 'string') {
    const value = params[node.name]
    if (typeof value === 'string') return value
  }
  throw new LakeError(400, 'queryExecutionError', 'text::query() in the local lake needs a string literal or a string parameter, e.g. text::query($q)')
}

const THIS_TEXT: Node = {type: 'AccessAttribute', base: {type: 'This'}, name: TEXT_KEY}

/** `@` → the document's strings; `[@, _id]` → `[...@<strings>, _id]`. */
function searchableLeft(left: unknown): unknown {
  if (isNode(left) && left.type === 'This') return THIS_TEXT
  if (isNode(left) && left.type === 'Array' && Array.isArray(left.elements)) {
    return {
      ...left,
      elements: left.elements.map((element: unknown) =>
        isNode(element) && isNode(element.value) && element.value.type === 'This' ? {...element, value: THIS_TEXT, isSplat: true} : element,
      ),
    }
  }
  return left
}

function matchNode(left: unknown, patterns: string[]): Node {
  return {type: 'OpCall', op: 'match', left, right: {type: 'Value', value: patterns}}
}

function rewriteMatch(node: Node, params: Record<string, unknown>): Node {
  const call = node.right
  if (!isTextQueryCall(call) || call.args.length !== 1) return node
  const {required, excluded} = parseSearchTerms(constantString(call.args[0], params))
  const left = searchableLeft(node.left)
  // Nothing but exclusions still needs a positive term to match against.
  const parts: Node[] = [matchNode(left, required.length > 0 ? required : ['*'])]
  for (const word of excluded) parts.push({type: 'Not', base: matchNode(left, [word])})
  return parts.reduce((acc, part) => ({type: 'And', left: acc, right: part}))
}

export function rewriteTextQueries(tree: ExprNode, params: Record<string, unknown>): ExprNode {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit)
    if (!isNode(node)) return node
    const out: Node = {}
    for (const key in node) out[key] = visit(node[key])
    return out.type === 'OpCall' && out.op === 'match' ? rewriteMatch(out, params) : out
  }
  return visit(tree) as ExprNode
}

/** Every string in a document, except in `_`-attributes (types, keys, references, revisions). */
function documentText(value: unknown, into: string[] = []): string[] {
  if (typeof value === 'string') into.push(value)
  else if (Array.isArray(value)) for (const item of value) documentText(item, into)
  else if (isNode(value)) for (const key in value) if (!key.startsWith('_')) documentText(value[key], into)
  return into
}

/** Views are cached until the next write; their searchable copies live as long. */
const searchable = new WeakMap<View, View>()

/** The view with every document carrying its text in the hidden attribute. */
export function searchableView(view: View): View {
  let found = searchable.get(view)
  if (!found) {
    found = new View(view.docs.map((doc) => ({...doc, [TEXT_KEY]: documentText(doc)})))
    searchable.set(view, found)
  }
  return found
}

/** One document with its text in the hidden attribute (for listen filters using text::query). */
export function withText(doc: Record<string, unknown>): Record<string, unknown> {
  return {...doc, [TEXT_KEY]: documentText(doc)}
}

/** Removes the hidden attribute wherever a query handed whole documents back. */
export function withoutText(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutText)
  // Only plain objects can carry the attribute; others (DateTime values) serialize themselves.
  if (!isNode(value) || (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)) return value
  const out: Record<string, unknown> = {}
  for (const key in value) if (key !== TEXT_KEY) out[key] = withoutText(value[key])
  return out
}
