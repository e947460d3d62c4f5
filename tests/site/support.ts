/**
 * A real lake seeded with the Her review (plus a spoiler mark, comments in every state and extra
 * reviews for pagination) and a node:http server composing the site and the comment endpoint.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {SanityClient} from '@sanity/client'

import {privateCommentId} from '../../comments/ids'
import {createCommentHandler, toNodeListener} from '../../comments/index'
import {createSiteApp, createSiteHandler, notFoundResponse, type SiteHandlerOptions} from '../../site/index'
import {herDocuments, put, startTestLake, type TestLake} from '../helpers/lake'

export const HER_SLUG = 'her-2013-falling-in-love-with-ai'
export const HER_REVIEW_ID = `review-${HER_SLUG}`
export const SECTION_HEADINGS = [
  'Setting and introductions',
  'When He met Her',
  'Love Progresses',
  'Complications and an Owl',
  'The Big Revelation',
  'Final Notes',
]
/** Text the seed marks as a spoiler in "The Big Revelation". */
export const SPOILER_TEXT = 'SPOILER-SENTENCE: Samantha talks to 8,316 others.'

export const COMMENTS = {
  approved: {id: 'comment-site-approved', author: 'Ada Reader', body: 'Loved the owl scene.\nSecond line <b>not bold</b> & more.'},
  reply: {id: 'comment-site-reply', author: 'Grace Replier', body: 'APPROVED-REPLY-TEXT: agreed!'},
  pending: {id: 'comment-site-pending', author: 'Pending Person', body: 'PENDING-COMMENT-TEXT'},
  rejected: {id: 'comment-site-rejected', author: 'Rejected Person', body: 'REJECTED-COMMENT-TEXT'},
  pendingReply: {id: 'comment-site-pending-reply', author: 'Pending Replier', body: 'PENDING-REPLY-TEXT'},
  /** A reply to the reply: shown nested under it. */
  deepReply: {id: 'comment-site-deep-reply', author: 'Deep Replier', body: 'DEEP-REPLY-TEXT'},
  /** Approved while its parent was approved; the parent was rejected since. */
  orphan: {id: 'comment-site-orphan', author: 'Orphan Replier', body: 'ORPHAN-REPLY-TEXT'},
}

/** Extra reviews of the same film for pagination; two share a date to exercise the `_id` tie-break. */
export const EXTRA_REVIEWS = [
  {id: 'review-extra-a', slug: 'extra-review-a', title: 'Extra review A', publishedOn: '2015-03-01'},
  {id: 'review-extra-b', slug: 'extra-review-b', title: 'Extra review B', publishedOn: '2015-03-01'},
  {id: 'review-extra-c', slug: 'extra-review-c', title: 'Extra review C', publishedOn: '2013-12-24'},
  {id: 'review-extra-d', slug: 'extra-review-d', title: 'Extra review D', publishedOn: '2020-06-30'},
]

export interface SiteFixture {
  lake: TestLake
  /** The lake's write client (as the moderators and the comment handler use it). */
  client: SanityClient
  baseUrl: string
  logLines: string[]
  close(): Promise<void>
}

interface Span {
  _type: 'span'
  _key: string
  text?: string
  marks?: string[]
}

/** Marks one sentence of "The Big Revelation" as a spoiler (the imported review has none). */
function withSpoiler<T extends {sections?: Array<{heading: string; body: Array<{children?: Span[]}>}>}>(review: T): T {
  const sections = structuredClone(review.sections ?? [])
  const section = sections.find((candidate) => candidate.heading === 'The Big Revelation')
  const block = section?.body[0]
  if (!block?.children) throw new Error('The Her review no longer has a "The Big Revelation" section to mark.')
  block.children.unshift({_type: 'span', _key: 'spoiler-span', text: SPOILER_TEXT, marks: ['spoiler']}, {_type: 'span', _key: 'spoiler-gap', text: ' ', marks: []})
  return {...review, sections}
}

function comment(id: string, author: string, body: string, status: string, createdAt: string, parent?: string) {
  return {
    // Where the comment handler and the moderation actions keep them: only approved ones are public.
    _id: status === 'approved' ? id : privateCommentId(id),
    _type: 'comment',
    review: {_type: 'reference', _ref: HER_REVIEW_ID},
    ...(parent ? {parent: {_type: 'reference', _ref: parent, _weak: true}} : {}),
    authorName: author,
    body,
    status,
    createdAt,
  }
}

export async function seedSite(client: SanityClient): Promise<void> {
  const her = herDocuments()
  const review = withSpoiler(her.review as unknown as Parameters<typeof withSpoiler>[0] & {_id: string; _type: string})
  const extras = EXTRA_REVIEWS.map((extra) => ({
    ...review,
    _id: extra.id,
    slug: {_type: 'slug', current: extra.slug},
    title: extra.title,
    publishedOn: extra.publishedOn,
    updatedOn: undefined,
  }))
  await put(client, [
    ...her.documents.filter((document) => document._id !== HER_REVIEW_ID),
    review,
    ...extras,
    comment(COMMENTS.approved.id, COMMENTS.approved.author, COMMENTS.approved.body, 'approved', '2024-01-01T10:00:00.000Z'),
    comment(COMMENTS.reply.id, COMMENTS.reply.author, COMMENTS.reply.body, 'approved', '2024-01-02T10:00:00.000Z', COMMENTS.approved.id),
    comment(COMMENTS.pending.id, COMMENTS.pending.author, COMMENTS.pending.body, 'pending', '2024-01-03T10:00:00.000Z'),
    comment(COMMENTS.rejected.id, COMMENTS.rejected.author, COMMENTS.rejected.body, 'rejected', '2024-01-04T10:00:00.000Z'),
    comment(COMMENTS.pendingReply.id, COMMENTS.pendingReply.author, COMMENTS.pendingReply.body, 'pending', '2024-01-05T10:00:00.000Z', COMMENTS.approved.id),
    comment(COMMENTS.deepReply.id, COMMENTS.deepReply.author, COMMENTS.deepReply.body, 'approved', '2024-01-06T10:00:00.000Z', COMMENTS.reply.id),
    comment(COMMENTS.orphan.id, COMMENTS.orphan.author, COMMENTS.orphan.body, 'approved', '2024-01-07T10:00:00.000Z', COMMENTS.rejected.id),
  ])
}

/** Serves site + comments the way the app server mounts them, on a free loopback port. */
export async function serve(handler: (request: Request) => Promise<Response | undefined>): Promise<{server: Server; baseUrl: string}> {
  const server = createServer(
    toNodeListener(async (request) => (await handler(request)) ?? notFoundResponse(request), {
      onError: (error) => console.error('site test server', error),
    }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {server, baseUrl: `http://127.0.0.1:${port}`}
}

export async function startSite(options: Partial<Pick<SiteHandlerOptions, 'pageSize'>> = {}): Promise<SiteFixture> {
  const lake = await startTestLake('production')
  try {
    await seedSite(lake.client)
    const logLines: string[] = []
    const site = createSiteHandler({client: lake.client, log: (line) => logLines.push(line), ...options})
    const comments = createCommentHandler({client: lake.client, rateLimit: false, onError: (error) => logLines.push(String(error))})
    const {server, baseUrl} = await serve(createSiteApp({site, comments}))
    return {
      lake,
      client: lake.client,
      baseUrl,
      logLines,
      async close() {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await lake.close()
      },
    }
  } catch (error) {
    await lake.close()
    throw error
  }
}

/** The JSON-LD blocks of a page, parsed. */
export function jsonLdOf(html: string): Array<Record<string, unknown>> {
  return [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map(
    (match) => JSON.parse(match[1] ?? 'null') as Record<string, unknown>,
  )
}

/** Text content of every `<h2>` in order, tags stripped. */
export function h2s(html: string): string[] {
  return [...html.matchAll(/<h2[^>]*>([\s\S]*?)<\/h2>/g)].map((match) => decode((match[1] ?? '').replace(/<[^>]+>/g, '')).trim())
}

export function decode(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}
