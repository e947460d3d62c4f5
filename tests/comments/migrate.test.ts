/**
 * Data stored before moderation kept comments private (pending, rejected and spam at public ids,
 * strong parent references) is moved to the current layout by `npm run comments:migrate`.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCommentMigration as run} from '../../comments/migrate'
import {APPROVED_ON_HER, HER_REVIEW, snapshot, startCommentLake, type CommentLake} from './support'

let env: CommentLake

beforeAll(async () => {
  env = await startCommentLake()
  const old = (id: string, status: string, parent?: string) => ({
    _id: id,
    _type: 'comment',
    review: {_type: 'reference', _ref: HER_REVIEW},
    ...(parent ? {parent: {_type: 'reference', _ref: parent}} : {}),
    authorName: 'Old Reader',
    body: `An old ${status} comment.`,
    status,
    createdAt: '2024-01-01T00:00:00.000Z',
  })
  const transaction = env.client.transaction()
  for (const doc of [old('comment-old-pending', 'pending'), old('comment-old-spam', 'spam'), old('comment-old-reply', 'approved', APPROVED_ON_HER)]) {
    transaction.createOrReplace(doc)
  }
  await transaction.commit()
})

afterAll(async () => {
  await env?.close()
})

function runMigration(dryRun: boolean) {
  const out: string[] = []
  const err: string[] = []
  const code = run(
    {dryRun},
    {
      target: () => ({kind: 'lake', projectId: 'local', dataset: 'production', token: 'unused', apiHost: env.lake.url}),
      createClient: () => env.client,
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
    },
  )
  return code.then((exitCode) => ({exitCode, out: out.join(''), err: err.join('')}))
}

describe('npm run comments:migrate', () => {
  it('lists what it would do in a dry run and writes nothing', async () => {
    const before = await snapshot(env.client)
    const result = await runMigration(true)
    expect(result).toStrictEqual({
      exitCode: 0,
      out:
        'would move pending comment comment-old-pending to moderation.comment-old-pending\n' +
        'would move spam comment comment-old-spam to moderation.comment-old-spam\n' +
        'would make the parent reference of comment-old-reply weak\n' +
        'Dry run: nothing was written to local lake local, dataset production.\n',
      err: '',
    })
    expect(await snapshot(env.client)).toStrictEqual(before)
  })

  it('makes unapproved comments private and parent references weak, and has nothing left to do afterwards', async () => {
    expect(await env.anonymous.fetch('count(*[_type == "comment" && status != "approved"])')).toBe(2)
    expect((await runMigration(false)).exitCode).toBe(0)
    expect(await env.anonymous.fetch('count(*[_type == "comment" && status != "approved"])')).toBe(0)
    expect(await env.client.fetch('*[_id in $ids] | order(_id asc){_id, status}', {ids: ['moderation.comment-old-pending', 'moderation.comment-old-spam']})).toStrictEqual([
      {_id: 'moderation.comment-old-pending', status: 'pending'},
      {_id: 'moderation.comment-old-spam', status: 'spam'},
    ])
    expect(await env.client.fetch('*[_id == "comment-old-reply"][0].parent')).toStrictEqual({_type: 'reference', _ref: APPROVED_ON_HER, _weak: true})
    expect(await runMigration(false)).toStrictEqual({exitCode: 0, out: 'Nothing to migrate in local lake local, dataset production.\n', err: ''})
  })
})
