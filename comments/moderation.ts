/**
 * Moderation moves a comment between its private and its public id (see `./ids`), so that what an
 * anonymous reader can see is exactly the approved comments. One transaction per decision: the new
 * document, the removal of every other copy, and revision guards on everything read, so a decision
 * taken on a stale view fails instead of overwriting a concurrent one.
 *
 * No Node imports: the Studio's Approve and Reject actions call this with the Studio's client.
 */
import type {SanityClient, SanityDocument} from '@sanity/client'

import type {CommentStatus} from '../schemas/constants'
import {commentIdsOf} from './ids'

/** What moderation needs from `@sanity/client`: reading documents by id and one transaction. */
export type ModerationClient = Pick<SanityClient, 'getDocuments' | 'transaction'>

export interface ModerationResult {
  /** Where the comment is now: its public id when approved, its private id otherwise. */
  id: string
  status: CommentStatus
}

/** The field Sanity Studio itself unsets to guard a document's revision without changing it. */
const REVISION_LOCK = '_revision_lock_pseudo_field_'

export class ModerationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModerationError'
  }
}

/**
 * Sets a comment's moderation status, storing it where that status belongs. `id` may be any of the
 * comment's ids (public, private, or a draft of either). Unpublished Studio edits (a draft) are
 * what gets approved or rejected, as a Publish would have done; the drafts are removed.
 */
export async function moderateComment(client: ModerationClient, id: string, status: CommentStatus): Promise<ModerationResult> {
  const [result] = await moderateComments(client, [id], status)
  if (!result) throw new ModerationError('No comment was moderated.')
  return result
}

/** `moderateComment` for several comments at once, in one transaction (all or nothing). */
export async function moderateComments(client: ModerationClient, commentIds: readonly string[], status: CommentStatus): Promise<ModerationResult[]> {
  const pairs = [...new Map(commentIds.map((id) => [commentIdsOf(id).public, commentIdsOf(id)])).values()]
  if (pairs.length === 0) return []
  const stored = await client.getDocuments<Record<string, unknown>>(pairs.flatMap((ids) => [ids.public, ids.publicDraft, ids.private, ids.privateDraft]))
  const transaction = client.transaction()
  const results = pairs.map((ids, index): ModerationResult => {
    const [publicDoc, publicDraft, privateDoc, privateDraft] = stored.slice(index * 4, index * 4 + 4)
    const found = [publicDoc, publicDraft, privateDoc, privateDraft].filter((doc): doc is SanityDocument<Record<string, unknown>> => Boolean(doc))
    // The copy the editor sees: the draft where the comment is, then the comment itself.
    const source = privateDoc || privateDraft ? (privateDraft ?? privateDoc) : (publicDraft ?? publicDoc)
    if (!source) throw new ModerationError(`There is no comment "${ids.public}" to moderate; it may have been deleted.`)
    for (const doc of found) {
      if (doc._type !== 'comment') throw new ModerationError(`"${doc._id}" is a ${doc._type}, not a comment.`)
    }
    const target = status === 'approved' ? ids.public : ids.private
    const {_id: _id, _rev: _rev, _createdAt: _createdAt, _updatedAt: _updatedAt, _originalId: _originalId, ...content} = source
    for (const doc of found) transaction.patch(doc._id, (patch) => patch.ifRevisionId(doc._rev).unset([REVISION_LOCK]))
    transaction.createOrReplace({...content, _id: target, _type: 'comment', status})
    for (const doc of found) if (doc._id !== target) transaction.delete(doc._id)
    return {id: target, status}
  })
  await transaction.commit({visibility: 'sync'})
  return results
}
