/**
 * The comment endpoint's load test as a library (`npm run load:comments`, scripts/load-comments.ts,
 * and tests/comments/load.test.ts run it; not part of the package's comments entry): concurrent clients post comments over loopback HTTP to the
 * handler (mounted with the Node adapter) in front of a real local lake, while a moderator approves
 * pending comments through @sanity/client. Ends by checking that every accepted comment is stored
 * exactly once, that nothing rejected was stored and that no answer was a 5xx.
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {createClient, type SanityClient, type SanityDocument} from '@sanity/client'

import {importReview} from '../importer/index'
import {startLake} from '../lake/index'
import {apiVersion} from '../lib/constants'
import herFacts from '../seed/her-2013.facts'
import {isPublicId, publicCommentId} from './ids'
import {createCommentHandler, toNodeListener} from './index'
import {moderateComments} from './moderation'

export interface LoadOptions {
  clients: number
  durationMs: number
  /** Progress and the summary go here. Default: nowhere. */
  log?: (line: string) => void
}

export interface LoadResult {
  requests: number
  /** Answers by status code, e.g. `{201: 950, 400: 50}`. */
  statuses: Record<string, number>
  accepted: number
  replies: number
  approvedByModerator: number
  elapsedMs: number
  requestsPerSecond: number
  latencyMs: {p50: number; p95: number; max: number}
  /** Every broken invariant, as a sentence; empty when the run is sound. */
  problems: string[]
}

/** The header that tells the harness's rate limiter which simulated client is calling; trusted here only. */
const CLIENT_HEADER = 'x-load-client'
const REVIEW_SLUG = 'her-2013-falling-in-love-with-ai'
const SEEDED_PARENT = 'comment-load-seed-approved'

type Kind = 'comment' | 'reply' | 'honeypot' | 'invalid'

interface Sent {
  token: string
  kind: Kind
  status: number
  id: string | undefined
}

export async function runCommentLoad(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? (() => {})
  const dir = mkdtempSync(join(tmpdir(), 'comments-load-'))
  const lake = await startLake({port: 0, dir, token: 'load-test-token'})
  const client = createClient({
    projectId: 'local',
    dataset: 'production',
    apiVersion,
    token: lake.token,
    apiHost: lake.url,
    useProjectHostname: false,
    useCdn: false,
  })
  const handlerErrors: unknown[] = []
  const handler = createCommentHandler({
    client,
    // Each simulated client gets its own window, and the limit is far above what one client can send,
    // so legitimate load passes while the limiter still does its work on every request.
    clientKey: (request) => request.headers.get(CLIENT_HEADER) ?? 'unknown',
    rateLimit: {windowMs: 1000, max: 10_000},
    onError: (error) => handlerErrors.push(error),
  })
  const server = createServer(toNodeListener(handler))
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/comments`

  try {
    await seed(client)
    const approved: string[] = [SEEDED_PARENT]
    const sent: Sent[] = []
    const latencies: number[] = []
    const started = performance.now()
    const deadline = started + options.durationMs
    let running = true

    const moderator = (async () => {
      let count = 0
      // One more pass after the clients stop, so every run approves what it can.
      for (let last = false; ; ) {
        last = !running
        count += await approvePending(client, approved)
        if (last) return count
        await new Promise((wake) => setTimeout(wake, 50))
      }
    })()

    const clients = Array.from({length: options.clients}, async (_, clientIndex) => {
      for (let n = 0; performance.now() < deadline; n++) {
        // Staggered by client, so the first round of ten clients already has every kind of request.
        const slot = (n + clientIndex) % 10
        const kind: Kind = slot === 9 ? 'invalid' : slot === 7 ? 'honeypot' : slot % 3 === 1 ? 'reply' : 'comment'
        const token = `load-${clientIndex}-${n}`
        const parentId = kind === 'reply' ? approved[(clientIndex * 7 + n) % approved.length] : undefined
        const payload = {
          reviewSlug: REVIEW_SLUG,
          ...(parentId ? {parentId} : {}),
          authorName: `Reader ${clientIndex}`,
          body: kind === 'invalid' ? `${token}\u0000` : `Comment ${token}: <em>markup</em> stays text.\nSecond line.`,
          ...(kind === 'honeypot' ? {website: 'https://spam.example'} : {}),
        }
        const before = performance.now()
        const response = await fetch(url, {
          method: 'POST',
          headers: {'content-type': 'application/json', [CLIENT_HEADER]: `client-${clientIndex}`},
          body: JSON.stringify(payload),
        })
        const answer = (await response.json()) as {id?: unknown}
        latencies.push(performance.now() - before)
        sent.push({token, kind, status: response.status, id: typeof answer.id === 'string' ? answer.id : undefined})
      }
    })
    await Promise.all(clients)
    const elapsedMs = performance.now() - started
    running = false
    const approvedByModerator = await moderator

    const problems = await verify(client, sent)
    for (const error of handlerErrors) problems.push(`The handler reported a lake failure: ${error instanceof Error ? error.message : String(error)}`)
    const statuses: Record<string, number> = {}
    for (const {status} of sent) statuses[status] = (statuses[status] ?? 0) + 1
    latencies.sort((a, b) => a - b)
    const result: LoadResult = {
      requests: sent.length,
      statuses,
      accepted: sent.filter((request) => request.status === 201).length,
      replies: sent.filter((request) => request.kind === 'reply' && request.status === 201).length,
      approvedByModerator,
      elapsedMs: Math.round(elapsedMs),
      requestsPerSecond: Math.round((sent.length / elapsedMs) * 1000 * 10) / 10,
      latencyMs: {p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), max: round(latencies[latencies.length - 1] ?? 0)},
      problems,
    }
    log(summary(options, result))
    return result
  } finally {
    await new Promise<void>((resolveClose) => {
      server.close(() => resolveClose())
      server.closeAllConnections()
    })
    await lake.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

async function seed(client: SanityClient): Promise<void> {
  const file = 'seed/her-2013-user-review.txt'
  const imported = importReview(readFileSync(resolve(file), 'utf8'), {fileName: file, facts: herFacts})
  const documents: Array<{_id: string; _type: string}> = imported.documents
  const transaction = client.transaction()
  for (const document of documents) transaction.createOrReplace(document as SanityDocument)
  transaction.createOrReplace({
    _id: SEEDED_PARENT,
    _type: 'comment',
    review: {_type: 'reference', _ref: imported.review._id},
    authorName: 'Seeded Reader',
    body: 'An approved comment to reply to.',
    status: 'approved',
    createdAt: new Date().toISOString(),
  })
  await transaction.commit()
}

/** The moderator: approves up to 50 pending comments in one transaction (moving each to its public id); returns how many. */
async function approvePending(client: SanityClient, approved: string[]): Promise<number> {
  const pending = await client.fetch<string[]>('*[_type == "comment" && status == $status] | order(createdAt asc) [0...50]._id', {status: 'pending'})
  if (pending.length === 0) return 0
  const results = await moderateComments(client, pending, 'approved')
  approved.push(...results.map((result) => result.id))
  return results.length
}

/** Checks the dataset against what the clients were told. */
async function verify(client: SanityClient, sent: Sent[]): Promise<string[]> {
  const problems: string[] = []
  const stored = await client.fetch<Array<{_id: string; body: string; status: string}>>(
    '*[_type == "comment" && _id != $seed]{_id, body, status}',
    {seed: SEEDED_PARENT},
    {perspective: 'raw'},
  )
  const byToken = new Map<string, Array<{_id: string; status: string}>>()
  for (const document of stored) {
    const token = /load-\d+-\d+/.exec(document.body)?.[0] ?? ''
    byToken.set(token, [...(byToken.get(token) ?? []), document])
  }
  for (const request of sent) {
    const copies = byToken.get(request.token) ?? []
    byToken.delete(request.token)
    if (request.status >= 500) problems.push(`${request.token} got a ${request.status}.`)
    const expectedStatus = request.kind === 'invalid' ? 400 : 201
    if (request.status !== expectedStatus) problems.push(`${request.token} (${request.kind}) got ${request.status}, not ${expectedStatus}.`)
    if (request.status !== 201) {
      if (copies.length > 0) problems.push(`${request.token} was refused with ${request.status} but stored ${copies.length} time(s).`)
      continue
    }
    const [copy] = copies
    if (copies.length !== 1 || !copy) {
      problems.push(`${request.token} was accepted but stored ${copies.length} times.`)
    } else if (publicCommentId(copy._id) !== request.id) {
      problems.push(`${request.token} was accepted as ${request.id} but stored as ${copy._id}.`)
    } else if (isPublicId(copy._id) !== (copy.status === 'approved')) {
      problems.push(`${request.token} is stored at ${copy._id} with status ${copy.status}: only approved comments may be public.`)
    } else if (request.kind === 'honeypot' ? copy.status !== 'spam' : copy.status !== 'pending' && copy.status !== 'approved') {
      problems.push(`${request.token} (${request.kind}) is stored with status ${copy.status}.`)
    }
  }
  for (const [token, copies] of byToken) problems.push(`${copies.length} stored comment(s) match no request (${token || 'no token'}).`)
  return problems
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0
  // Nearest rank: the smallest value with at least `fraction` of the samples at or below it.
  return round(sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? 0)
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

function summary(options: LoadOptions, result: LoadResult): string {
  return [
    `${options.clients} clients for ${options.durationMs / 1000} s against a local lake, one moderator approving meanwhile`,
    `requests: ${result.requests} in ${result.elapsedMs} ms = ${result.requestsPerSecond} req/s`,
    `answers: ${Object.entries(result.statuses)
      .map(([status, count]) => `${status}×${count}`)
      .join(', ')} (400s are the deliberately invalid tenth)`,
    `accepted: ${result.accepted} (${result.replies} replies), approved by the moderator: ${result.approvedByModerator}`,
    `latency: p50 ${result.latencyMs.p50} ms, p95 ${result.latencyMs.p95} ms, max ${result.latencyMs.max} ms`,
    result.problems.length === 0
      ? 'invariants: every accepted comment stored exactly once, nothing refused was stored, no 5xx'
      : `PROBLEMS (${result.problems.length}):\n  ${result.problems.slice(0, 20).join('\n  ')}`,
  ].join('\n')
}
