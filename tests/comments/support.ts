import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {createClient, type SanityClient, type SanityDocument} from '@sanity/client'

import {privateCommentId} from '../../comments/ids'
import {toNodeListener, type FetchHandler} from '../../comments/index'
import {importReview, type ImportResult} from '../../importer/index'
import {startLake, type RunningLake} from '../../lake/index'
import {apiVersion} from '../../lib/constants'
import herFacts from '../../seed/her-2013.facts'

export const HER_SLUG = 'her-2013-falling-in-love-with-ai'
export const HER_REVIEW = `review-${HER_SLUG}`
/** Set up by `startCommentLake`: comments the tests reply to (public ids; only approved ones are stored there). */
export const APPROVED_ON_HER = 'comment-approved-on-her'
export const PENDING_ON_HER = 'comment-pending-on-her'
export const SPAM_ON_HER = 'comment-spam-on-her'
export const APPROVED_ON_ARRIVAL = 'comment-approved-on-arrival'
/** A review that exists only as a draft, so it is not published. */
export const DRAFT_ONLY_SLUG = 'draft-only-review'
/** A published review at a private (dotted) id: readers cannot see it, so it does not exist for them. */
export const PRIVATE_REVIEW_SLUG = 'private-review'
export const PRIVATE_REVIEW_ID = 'secret.review-private'

export interface CommentLake {
  lake: RunningLake
  client: SanityClient
  /** No token: sees what anyone on the internet sees in a public dataset. */
  anonymous: SanityClient
  her: ImportResult
  arrival: ImportResult
  close(): Promise<void>
}

/** A real lake on a free port in a temp folder, holding the Her and Arrival reviews and a few comments. */
export async function startCommentLake(): Promise<CommentLake> {
  const dir = mkdtempSync(join(tmpdir(), 'comments-lake-'))
  const lake = await startLake({port: 0, dir, token: 'comments-test-token'})
  const base = {projectId: 'local', dataset: 'production', apiVersion, apiHost: lake.url, useProjectHostname: false, useCdn: false}
  const client = createClient({...base, token: lake.token})
  const anonymous = createClient(base)
  const her = importReview(readFileSync(resolve('seed/her-2013-user-review.txt'), 'utf8'), {
    fileName: 'seed/her-2013-user-review.txt',
    facts: herFacts,
  })
  const arrivalFile = 'tests/fixtures/reviews/arrival-2016-user-review.txt'
  const arrival = importReview(readFileSync(resolve(arrivalFile), 'utf8'), {fileName: arrivalFile})
  const comment = (id: string, review: string, status: string) => ({
    // Where the handler and the moderation actions keep them: only approved comments are public.
    _id: status === 'approved' ? id : privateCommentId(id),
    _type: 'comment',
    review: {_type: 'reference', _ref: review},
    authorName: 'Earlier Reader',
    body: `A ${status} comment.`,
    status,
    createdAt: '2025-01-02T03:04:05.000Z',
  })
  const draftOnly = {...her.review, _id: 'drafts.review-draft-only', slug: {_type: 'slug' as const, current: DRAFT_ONLY_SLUG}}
  const privateReview = {...her.review, _id: PRIVATE_REVIEW_ID, slug: {_type: 'slug' as const, current: PRIVATE_REVIEW_SLUG}}
  const documents: Array<{_id: string; _type: string}> = [
    ...her.documents,
    ...arrival.documents,
    comment(APPROVED_ON_HER, her.review._id, 'approved'),
    comment(PENDING_ON_HER, her.review._id, 'pending'),
    comment(SPAM_ON_HER, her.review._id, 'spam'),
    comment(APPROVED_ON_ARRIVAL, arrival.review._id, 'approved'),
    draftOnly,
    privateReview,
  ]
  const transaction = client.transaction()
  for (const document of documents) transaction.createOrReplace(document as SanityDocument)
  await transaction.commit()
  return {
    lake,
    client,
    anonymous,
    her,
    arrival,
    async close() {
      await lake.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** Every stored document (drafts included), in `_id` order: compared before and after a request. */
export function snapshot(client: SanityClient): Promise<SanityDocument[]> {
  return client.fetch<SanityDocument[]>('*| order(_id asc)', {}, {perspective: 'raw'})
}

export interface Served {
  url: string
  close(): Promise<void>
}

/** Mounts a Fetch handler on a `node:http` server on a free loopback port, through the Node adapter. */
export async function serve(handler: FetchHandler): Promise<Served> {
  const server = createServer(toNodeListener(handler))
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/api/comments`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose())
        server.closeAllConnections()
      }),
  }
}

/** POSTs a JSON body; returns the status, the parsed answer and the headers. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return answer(await fetch(url, {method: 'POST', headers: {'content-type': 'application/json', ...headers}, body: JSON.stringify(body)}))
}

export async function answer(response: Response) {
  const text = await response.text()
  return {status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers}
}

/** The answer body of a refused submission: Sanity's error shape. */
export function refusal(type: string, statusCode: number, description: string) {
  return {error: {type, description}, statusCode}
}

/** The answer body of a submission with field errors: a 400 listing them (the description repeats them). */
export function fieldErrors(fields: ReadonlyArray<{field: string; message: string}>) {
  return {error: {type: 'validationError', description: fields.map((field) => field.message).join(' '), fields}, statusCode: 400}
}
