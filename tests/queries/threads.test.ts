import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {commentThreads, MAX_THREAD_DEPTH, type CommentThread, type ThreadableComment} from '../../queries/threads'

const c = (id: string, parentId: string | null = null): ThreadableComment => ({_id: id, authorName: id.toUpperCase(), parentId})

/** The tree as ids, with depth and the extra markers, for whole-result comparisons. */
type Shape = {id: string; depth: number; replyTo?: string; parentRemoved?: true; replies: Shape[]}
function shape(nodes: CommentThread<ThreadableComment>[]): Shape[] {
  return nodes.map((node) => ({
    id: node.comment._id,
    depth: node.depth,
    ...(node.replyTo ? {replyTo: node.replyTo._id} : {}),
    ...(node.parentRemoved ? {parentRemoved: true as const} : {}),
    replies: shape(node.replies),
  }))
}

function flatten(nodes: CommentThread<ThreadableComment>[]): string[] {
  return nodes.flatMap((node) => [node.comment._id, ...flatten(node.replies)])
}

describe('commentThreads', () => {
  it('nests replies under the comment they answer, at any depth up to the limit', () => {
    expect(shape(commentThreads([c('a'), c('b', 'a'), c('c', 'b'), c('d'), c('e', 'a')]))).toStrictEqual([
      {id: 'a', depth: 1, replies: [{id: 'b', depth: 2, replies: [{id: 'c', depth: 3, replies: []}]}, {id: 'e', depth: 2, replies: []}]},
      {id: 'd', depth: 1, replies: []},
    ])
  })

  it('places replies deeper than the limit next to their parent, saying whom they answer', () => {
    expect(shape(commentThreads([c('a'), c('b', 'a'), c('c', 'b'), c('d', 'c')], 2))).toStrictEqual([
      {
        id: 'a',
        depth: 1,
        replies: [
          {id: 'b', depth: 2, replies: []},
          {id: 'c', depth: 2, replyTo: 'b', replies: []},
          {id: 'd', depth: 2, replyTo: 'c', replies: []},
        ],
      },
    ])
  })

  it('moves a reply whose parent is not shown to the top level, marked', () => {
    expect(shape(commentThreads([c('a'), c('orphan', 'rejected'), c('child', 'orphan')]))).toStrictEqual([
      {id: 'a', depth: 1, replies: []},
      {id: 'orphan', depth: 1, parentRemoved: true, replies: [{id: 'child', depth: 2, replies: []}]},
    ])
  })

  it('ignores parents that come later (cycles from edited data) and duplicate ids', () => {
    expect(shape(commentThreads([c('a', 'b'), c('b', 'a'), c('b')]))).toStrictEqual([
      {id: 'a', depth: 1, parentRemoved: true, replies: [{id: 'b', depth: 2, replies: []}]},
    ])
  })

  it('places every comment exactly once, never deeper than the limit (property, seeded)', () => {
    const ids = Array.from({length: 12}, (_, index) => `c${index}`)
    fc.assert(
      fc.property(
        fc.array(fc.record({id: fc.constantFrom(...ids), parent: fc.option(fc.constantFrom(...ids, 'missing'), {nil: null})}), {maxLength: 30}),
        fc.integer({min: 1, max: MAX_THREAD_DEPTH + 1}),
        (rows, maxDepth) => {
          const comments = rows.map((row) => c(row.id, row.parent))
          const placed = flatten(commentThreads(comments, maxDepth))
          expect(placed).toStrictEqual([...new Set(placed)])
          expect(new Set(placed)).toStrictEqual(new Set(comments.map((comment) => comment._id)))
          const depths = (nodes: CommentThread<ThreadableComment>[]): number[] => nodes.flatMap((node) => [node.depth, ...depths(node.replies)])
          expect(Math.max(0, ...depths(commentThreads(comments, maxDepth)))).toBeLessThanOrEqual(maxDepth)
        },
      ),
      {seed: 11, numRuns: 300},
    )
  })
})
