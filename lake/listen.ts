import type {ExprNode} from 'groq-js'

import type {ChangeEvent, Dataset, DocumentChange} from './dataset'
import {isPublicId, type LakeDocument, randomId} from './documents'
import {LakeError} from './errors'
import {listenFilters, matchesFilters, parseGroq} from './groq'
import {paramsFromSearch, type RouteContext} from './http'

interface ListenSettings {
  filters: readonly ExprNode[]
  params: Record<string, unknown>
  allowPrivate: boolean
  includeResult: boolean
  includePreviousRevision: boolean
  includeMutations: boolean
  mendoza: boolean
  visibility: 'query' | 'transaction'
}

/**
 * `GET /data/listen/<dataset>`: a Server-Sent Events stream that `client.listen()` consumes.
 * A `welcome` event first, then one `mutation` event per matching document change.
 */
export function handleListen(ctx: RouteContext, dataset: Dataset): void {
  const search = ctx.url.searchParams
  const query = search.get('query')
  if (query === null) throw new LakeError(400, 'invalidRequest', 'Missing "query": listen with ?query=*[_type == "review"] (a GROQ filter)')
  const params = paramsFromSearch(search)
  const settings: ListenSettings = {
    filters: listenFilters(parseGroq(query, params), query),
    params,
    // Drafts and other dotted ids are only streamed to callers with the token.
    allowPrivate: ctx.authenticated,
    includeResult: search.get('includeResult') !== 'false',
    includePreviousRevision: search.get('includePreviousRevision') === 'true',
    includeMutations: search.get('includeMutations') !== 'false',
    mendoza: search.get('effectFormat') === 'mendoza',
    visibility: search.get('visibility') === 'transaction' ? 'transaction' : 'query',
  }

  const {res, req} = ctx
  res.statusCode = 200
  res.setHeader('content-type', 'text/event-stream; charset=utf-8')
  res.setHeader('cache-control', 'no-cache')
  res.setHeader('x-accel-buffering', 'no')
  res.write(`event: welcome\ndata: ${JSON.stringify({listenerName: randomId(16)})}\n\n`)

  let ended = false
  // Events of consecutive transactions are written in commit order.
  let pending: Promise<void> = Promise.resolve()
  const unsubscribe = dataset.subscribe((event) => {
    pending = pending.then(async () => {
      const lines = await eventsFor(event, settings)
      if (!ended && lines) res.write(lines)
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

async function isVisible(doc: LakeDocument | null, dataset: readonly LakeDocument[], settings: ListenSettings): Promise<boolean> {
  if (!doc) return false
  if (!settings.allowPrivate && !isPublicId(doc._id)) return false
  return matchesFilters(doc, settings.filters, settings.params, dataset)
}

async function eventsFor(event: ChangeEvent, settings: ListenSettings): Promise<string> {
  const matched: {change: DocumentChange; transition: 'update' | 'appear' | 'disappear'}[] = []
  // Subqueries inside a filter must not see private documents either.
  const dataset =
    settings.allowPrivate || settings.filters.length === 0 ? event.documents : event.documents.filter((doc) => isPublicId(doc._id))
  for (const change of event.changes) {
    const before = await isVisible(change.before, dataset, settings)
    const after = await isVisible(change.after, dataset, settings)
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
