import type {ExprNode} from 'groq-js'

import type {ChangeEvent, Dataset, DocumentChange} from './dataset'
import {isPublicId, type LakeDocument, randomId} from './documents'
import {LakeError} from './errors'
import {matchesFilter} from './groq'
import {paramsFromSearch, type RouteContext} from './http'
import {withText} from './search'

interface ListenSettings {
  /** Everything that decides the stream's events: listeners with equal keys get the same lines. */
  key: string
  filters: readonly ExprNode[]
  /** The filters call text::query() (rewritten to read each document's text). */
  usesText: boolean
  params: Record<string, unknown>
  allowPrivate: boolean
  includeResult: boolean
  includePreviousRevision: boolean
  includeMutations: boolean
  mendoza: boolean
  visibility: 'query' | 'transaction'
}

/**
 * Evaluating listen filters shares the main thread with every request, so it runs in
 * slices (other work gets a turn every SLICE_MS) and each listener has a budget per
 * transaction (the query time budget): a listener whose filters need more is closed with a
 * `channelError` event instead of holding anyone up. Filters are checked at subscribe
 * time (on a query worker, within the query budget) and cannot join, so one evaluation
 * costs time proportional to the filter and one document.
 */
const SLICE_MS = 5
let sliceStarted = performance.now()

function yieldIfDue(): Promise<void> | undefined {
  if (performance.now() - sliceStarted < SLICE_MS) return undefined
  return new Promise((resolve) =>
    setImmediate(() => {
      sliceStarted = performance.now()
      resolve()
    }),
  )
}

/**
 * `GET /data/listen/<dataset>`: a Server-Sent Events stream that `client.listen()` consumes.
 * A `welcome` event first, then one `mutation` event per matching document change, sent
 * after the write was answered.
 */
export async function handleListen(ctx: RouteContext, dataset: Dataset): Promise<void> {
  const search = ctx.url.searchParams
  const query = search.get('query')
  if (query === null) throw new LakeError(400, 'invalidRequest', 'Missing "query": listen with ?query=*[_type == "review"] (a GROQ filter)')
  const params = paramsFromSearch(search)
  const compiled = await dataset.compileListen(query, params, {signal: ctx.signal, timeoutMs: ctx.options.queryTimeoutMs})
  const options = {
    // Drafts and other dotted ids are only streamed to callers with the token.
    allowPrivate: ctx.authenticated,
    includeResult: search.get('includeResult') !== 'false',
    includePreviousRevision: search.get('includePreviousRevision') === 'true',
    includeMutations: search.get('includeMutations') !== 'false',
    mendoza: search.get('effectFormat') === 'mendoza',
    visibility: search.get('visibility') === 'transaction' ? ('transaction' as const) : ('query' as const),
  }
  const settings: ListenSettings = {
    key: JSON.stringify([query, params, options]),
    filters: compiled.filters as ExprNode[],
    usesText: compiled.usesText,
    params,
    ...options,
  }

  const {res, req} = ctx
  res.statusCode = 200
  res.setHeader('content-type', 'text/event-stream; charset=utf-8')
  res.setHeader('cache-control', 'no-cache')
  res.setHeader('x-accel-buffering', 'no')
  res.write(`event: welcome\ndata: ${JSON.stringify({listenerName: randomId(16)})}\n\n`)

  let ended = false
  // Lines of the transactions committed within one turn of the event loop go out as one write
  // (with many writers and listeners, one write per transaction per listener was the main cost).
  let buffered = ''
  const send = (lines: string) => {
    if (buffered === '') {
      setImmediate(() => {
        const out = buffered
        buffered = ''
        if (!ended) res.write(out)
      })
    }
    buffered += lines
  }
  // Events of consecutive transactions are written in commit order.
  let pending: Promise<void> = Promise.resolve()
  const budgetMs = ctx.options.queryTimeoutMs
  const unsubscribe = dataset.subscribe((event) => {
    pending = pending.then(async () => {
      if (ended) return
      const lines = await sharedEventsFor(event, settings, budgetMs)
      if (ended) return
      if (lines === undefined) {
        // Whatever is still buffered goes first: events stay in commit order.
        res.write(`${buffered}event: channelError\ndata: ${JSON.stringify({message: `The listen filter took more than ${budgetMs} ms to evaluate for one transaction; the stream was closed. Listen with a simpler filter.`})}\n\n`)
        buffered = ''
        cleanup()
        res.end()
      } else if (lines) {
        send(lines)
      }
    })
  })
  const keepAlive = setInterval(() => {
    if (!ended) res.write(': keepalive\n\n')
  }, ctx.options.keepAliveMs)
  keepAlive.unref()

  const cleanup = () => {
    if (ended) return
    ended = true
    clearInterval(keepAlive)
    unsubscribe()
    untrack()
  }
  const untrack = ctx.trackStream(() => {
    cleanup()
    res.end()
  })
  res.on('close', cleanup)
  req.on('close', cleanup)
}

/**
 * Listeners with the same query, parameters and options get the same lines for a
 * transaction: computed once (a Studio, or 200 clients, often listen with equal filters).
 */
const shared = new WeakMap<ChangeEvent, Map<string, Promise<string | undefined>>>()

function sharedEventsFor(event: ChangeEvent, settings: ListenSettings, budgetMs: number): Promise<string | undefined> {
  let byKey = shared.get(event)
  if (!byKey) {
    byKey = new Map()
    shared.set(event, byKey)
  }
  let lines = byKey.get(settings.key)
  if (!lines) {
    lines = eventsFor(event, settings, budgetMs)
    byKey.set(settings.key, lines)
  }
  return lines
}

async function isVisible(doc: LakeDocument | null, settings: ListenSettings): Promise<boolean> {
  if (!doc) return false
  if (!settings.allowPrivate && !isPublicId(doc._id)) return false
  const subject = settings.usesText ? withText(doc) : doc
  for (const filter of settings.filters) {
    const pause = yieldIfDue()
    if (pause) await pause
    if (!(await matchesFilter(subject, filter, settings.params))) return false
  }
  return true
}

/** The SSE lines for one transaction; undefined when the listener's budget ran out. */
async function eventsFor(event: ChangeEvent, settings: ListenSettings, budgetMs: number): Promise<string | undefined> {
  const matched: {change: DocumentChange; transition: 'update' | 'appear' | 'disappear'}[] = []
  let spent = 0
  for (const change of event.changes) {
    const started = performance.now()
    const before = await isVisible(change.before, settings)
    const after = await isVisible(change.after, settings)
    // Time spent in other work while this one yielded is not charged (roughly: at most one slice).
    spent += Math.max(0, performance.now() - started - SLICE_MS)
    if (spent > budgetMs) return undefined
    if (!before && !after) continue
    matched.push({change, transition: before && after ? 'update' : after ? 'appear' : 'disappear'})
  }
  return matched
    .map(({change, transition}, index) => {
      const eventId = `${event.transactionId}#${change.id}`
      const data: Record<string, unknown> = {
        eventId,
        documentId: change.id,
        transactionId: event.transactionId,
        transition,
        identity: event.identity,
        resultRev: event.transactionId,
        timestamp: event.timestamp,
        visibility: settings.visibility,
        transactionTotalEvents: matched.length,
        transactionCurrentEvent: index,
      }
      if (transition !== 'appear' && change.before) data.previousRev = change.before._rev
      if (settings.includeMutations) data.mutations = change.mutations
      if (settings.includeResult && change.after) data.result = change.after
      if (settings.includePreviousRevision) data.previous = change.before
      // Mendoza opcode 0 ("value") replaces the whole document: simple but valid.
      if (settings.mendoza) data.effects = {apply: [0, change.after], revert: [0, change.before]}
      return `event: mutation\nid: ${eventId}\ndata: ${JSON.stringify(data)}\n\n`
    })
    .join('')
}
