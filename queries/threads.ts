/**
 * Nests the flat, oldest-first list of approved comments that `reviewPageQuery` returns into
 * threads. Every comment in the list is placed exactly once, so an approved comment is never
 * silently missing from a page:
 * - a reply sits under the comment it answers, down to `maxDepth` levels; a reply to a comment at
 *   the deepest level sits next to it (under their nearest shown ancestor), with `replyTo` naming
 *   whom it answers;
 * - a reply whose parent is not in the list (the parent was rejected after the reply was approved,
 *   or deleted) moves to the top level with `parentRemoved`, and returns under its parent if that
 *   is approved again;
 * - a parent counts only if it comes earlier in the list, so edited data with reference cycles
 *   still yields a tree.
 */

/** The fields threading needs; the query's comments have these and more. */
export interface ThreadableComment {
  _id: string
  authorName: string
  parentId: string | null
}

export interface CommentThread<T extends ThreadableComment> {
  comment: T
  /** 1 for a top-level comment. */
  depth: number
  /** Set when the comment answers another one than the comment it is nested under. */
  replyTo: T | undefined
  /** True when the comment answers a comment that is no longer shown. */
  parentRemoved: boolean
  replies: CommentThread<T>[]
}

/** Nesting levels the reference site shows (a top-level comment is level 1). */
export const MAX_THREAD_DEPTH = 4

export function commentThreads<T extends ThreadableComment>(comments: readonly T[], maxDepth = MAX_THREAD_DEPTH): CommentThread<T>[] {
  if (!(Number.isInteger(maxDepth) && maxDepth >= 1)) throw new RangeError('maxDepth must be a whole number of at least 1')
  const top: CommentThread<T>[] = []
  // Each placed comment, with the list it sits in (its siblings).
  const placed = new Map<string, {node: CommentThread<T>; siblings: CommentThread<T>[]}>()
  for (const comment of comments) {
    if (placed.has(comment._id)) continue
    const parent = comment.parentId ? placed.get(comment.parentId) : undefined
    let entry: {node: CommentThread<T>; siblings: CommentThread<T>[]}
    if (!parent) {
      const node: CommentThread<T> = {comment, depth: 1, replyTo: undefined, parentRemoved: Boolean(comment.parentId), replies: []}
      entry = {node, siblings: top}
    } else if (parent.node.depth < maxDepth) {
      const node: CommentThread<T> = {comment, depth: parent.node.depth + 1, replyTo: undefined, parentRemoved: false, replies: []}
      entry = {node, siblings: parent.node.replies}
    } else {
      const node: CommentThread<T> = {comment, depth: parent.node.depth, replyTo: parent.node.comment, parentRemoved: false, replies: []}
      entry = {node, siblings: parent.siblings}
    }
    entry.siblings.push(entry.node)
    placed.set(comment._id, entry)
  }
  return top
}
