/**
 * Approve and Reject against a real lake: each moves the comment between its private and public
 * id in one transaction, so a comment anonymous readers can see is always an approved one.
 */
import type {SanityDocument} from '@sanity/client'
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {commentIdsOf, privateCommentId} from '../../comments/ids'
import {createCommentHandler} from '../../comments/index'
import {moderateComment, ModerationError, type ModerationClient} from '../../comments/moderation'
import {COMMENT_STATUSES, type CommentStatus} from '../../schemas/constants'
import {APPROVED_ON_HER, HER_SLUG, postJson, serve, snapshot, startCommentLake, type CommentLake, type Served} from './support'

let env: CommentLake
let served: Served

beforeAll(async () => {
  env = await startCommentLake()
  served = await serve(createCommentHandler({client: env.client, rateLimit: false}))
})

afterAll(async () => {
  await served?.close()
  await env?.close()
})

async function submit(fields: Record<string, string> = {}): Promise<string> {
  const result = await postJson(served.url, {reviewSlug: HER_SLUG, authorName: 'Mod Reader', body: 'Please approve me.', ...fields})
  expect(result.status).toBe(201)
  return (result.body as {id: string}).id
}

/** Which of a comment's four possible documents exist, with their status. */
async function whereIs(id: string): Promise<Record<string, string | null>> {
  const ids = commentIdsOf(id)
  const documents = await env.client.getDocuments<{status: string}>([ids.public, ids.publicDraft, ids.private, ids.privateDraft])
  return Object.fromEntries(documents.filter((doc) => doc !== null).map((doc) => [doc._id, doc.status]))
}

const anonymouslyVisible = (id: string) => env.anonymous.fetch<number>('count(*[_id == $id])', {id})

describe('Approve', () => {
  it('moves a pending comment to its public id, approved, where anonymous readers see it', async () => {
    const id = await submit()
    expect(await whereIs(id)).toStrictEqual({[privateCommentId(id)]: 'pending'})
    expect(await anonymouslyVisible(id)).toBe(0)
    const before = await env.client.getDocument(privateCommentId(id))

    expect(await moderateComment(env.client, privateCommentId(id), 'approved')).toStrictEqual({id, status: 'approved'})
    expect(await whereIs(id)).toStrictEqual({[id]: 'approved'})
    expect(await anonymouslyVisible(id)).toBe(1)
    const after = await env.client.getDocument(id)
    const strip = ({_id, _rev, _createdAt, _updatedAt, status, ...content}: SanityDocument) => content
    expect(strip(after as SanityDocument)).toStrictEqual(strip(before as SanityDocument))
  })

  it('approves the unpublished Studio edits (the draft) and removes the draft', async () => {
    const id = await submit()
    const draft = {...(await env.client.getDocument(privateCommentId(id))), _id: `drafts.${privateCommentId(id)}`, body: 'Edited by a moderator.'}
    await env.client.create(draft as SanityDocument)
    await moderateComment(env.client, `drafts.${privateCommentId(id)}`, 'approved')
    expect(await whereIs(id)).toStrictEqual({[id]: 'approved'})
    expect(await env.client.fetch('*[_id == $id][0].body', {id})).toBe('Edited by a moderator.')
  })
})

describe('Reject', () => {
  it('moves an approved comment back to its private id; replies keep their weak reference to it', async () => {
    const id = await submit()
    await moderateComment(env.client, id, 'approved')
    const replyId = await submit({parentId: id, body: 'A reply.'})
    await moderateComment(env.client, replyId, 'approved')
    expect(await env.client.fetch('*[_id == $id][0].parent', {id: replyId})).toStrictEqual({_type: 'reference', _ref: id, _weak: true})

    expect(await moderateComment(env.client, id, 'rejected')).toStrictEqual({id: privateCommentId(id), status: 'rejected'})
    expect(await whereIs(id)).toStrictEqual({[privateCommentId(id)]: 'rejected'})
    expect(await anonymouslyVisible(id)).toBe(0)
    // The reply stays approved and public; its parent no longer resolves for anyone.
    expect(await env.anonymous.fetch('*[_id == $id][0]{status, "parent": parent->_id}', {id: replyId})).toStrictEqual({status: 'approved', parent: null})

    // Approving again restores the thread.
    await moderateComment(env.client, privateCommentId(id), 'approved')
    expect(await env.anonymous.fetch('*[_id == $id][0].parent->_id', {id: replyId})).toBe(id)
  })

  it('keeps a pending comment private and records the verdict', async () => {
    const id = await submit()
    await moderateComment(env.client, id, 'rejected')
    expect(await whereIs(id)).toStrictEqual({[privateCommentId(id)]: 'rejected'})
  })
})

describe('a moderation decision', () => {
  it('fails as a whole when the comment changed after it was read, and changes nothing', async () => {
    const id = await submit()
    const racing: ModerationClient = {
      getDocuments: (async (ids: string[]) => {
        const documents = await env.client.getDocuments(ids)
        // Another moderator edits the comment between our read and our write.
        await env.client.patch(privateCommentId(id)).set({body: 'Changed meanwhile.'}).commit()
        return documents
      }) as ModerationClient['getDocuments'],
      transaction: () => env.client.transaction(),
    }
    const before = await snapshot(env.client).then((documents) => documents.filter((doc) => doc._id !== privateCommentId(id)))
    await expect(moderateComment(racing, id, 'approved')).rejects.toThrow(/revision/i)
    expect(await whereIs(id)).toStrictEqual({[privateCommentId(id)]: 'pending'})
    expect((await snapshot(env.client)).filter((doc) => doc._id !== privateCommentId(id))).toStrictEqual(before)
  })

  it('names a comment that does not exist, and a document that is not a comment', async () => {
    await expect(moderateComment(env.client, 'comment-nothing-here', 'approved')).rejects.toThrow(
      new ModerationError('There is no comment "comment-nothing-here" to moderate; it may have been deleted.'),
    )
    await expect(moderateComment(env.client, env.her.review._id, 'approved')).rejects.toThrow(/is a review, not a comment/)
  })

  it('keeps "public means approved" through any sequence of decisions (property, 25 seeded runs)', async () => {
    const ids = [await submit(), await submit(), APPROVED_ON_HER]
    const statuses = COMMENT_STATUSES.map((status) => status.value)
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({comment: fc.integer({min: 0, max: ids.length - 1}), status: fc.constantFrom<CommentStatus>(...statuses), viaPrivate: fc.boolean()}), {
          minLength: 1,
          maxLength: 6,
        }),
        async (decisions) => {
          for (const {comment, status, viaPrivate} of decisions) {
            const id = ids[comment] ?? ''
            await moderateComment(env.client, viaPrivate ? privateCommentId(id) : id, status)
          }
          for (const [index, id] of ids.entries()) {
            const last = decisions.filter((decision) => decision.comment === index).at(-1)
            const where = await whereIs(id)
            // Exactly one copy, public exactly when approved.
            expect(Object.keys(where)).toHaveLength(1)
            const [storedId, status] = Object.entries(where)[0] ?? []
            if (last) expect(status).toBe(last.status)
            expect(storedId === id).toBe(status === 'approved')
            expect(await anonymouslyVisible(id)).toBe(status === 'approved' ? 1 : 0)
          }
        },
      ),
      {seed: 20_250_601, numRuns: 25},
    )
  })
})

