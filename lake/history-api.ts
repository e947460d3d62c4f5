import {z} from 'zod'

import type {Dataset} from './dataset'
import type {LakeDocument} from './documents'
import {LakeError} from './errors'
import type {DocumentState, HistoryLog, StateMark, TransactionRecord} from './history'
import {historyTime} from './history'
import {datasetOf, decodePathSegment, type LakeHandler, type RouteContext, sendNdjson} from './http'
import {diffPatch, type MendozaPatch} from './mendoza'

/**
 * Sanity's History API over the lake's transaction log (lake/history.ts), in the shapes the
 * Studio reads (checked against `sanity` 6.9.2's own client code):
 *
 * - `GET /data/history/<dataset>/documents/<ids>?revision=<rev>|time=<iso>|lastRevision=true`
 *   → `{documents: [...]}`: each document as of that revision or time (or its last state
 *   before deletion), as the Studio's revision view, Review changes and Restore ask for it.
 * - `GET /data/history/<dataset>/transactions/<ids>` → NDJSON, one transaction per line:
 *   `{id, timestamp, author, documentIDs, effects?, mutations?}`, with `fromTransaction`,
 *   `toTransaction`, `fromTime`, `toTime`, `authors`, `reverse`, `limit`,
 *   `effectFormat=mendoza`, `excludeContent`, `excludeMutations` and
 *   `includeIdentifiedDocumentsOnly` (what the Studio's History and Review changes send).
 * - `GET /data/history/<dataset>/events/documents/<id>?limit=&nextCursor=` →
 *   `{events: {<id>: [...]}, nextCursor}`: the document events feed Studio 6 lists in its
 *   History panel (created, published, unpublished, discarded, deleted), newest first; edits
 *   between them the Studio derives from the transactions itself.
 *
 * Like Sanity's History API, every request must be authenticated; anonymous callers get 401
 * and learn nothing they could not read today.
 */

/** Most transactions one request streams (the Studio asks for 50 at a time). */
export const MAX_HISTORY_TRANSACTIONS = 10_000
/** Most events one request returns (the Studio asks for 100). */
const MAX_EVENTS = 1_000
/** Transactions examined per step while collecting events (edits between them produce none). */
const EVENT_SCAN_BATCH = 200

export function registerHistoryRoutes(handler: LakeHandler): void {
  handler
    .route('GET', /^\/data\/history\/([^/]+)\/documents\/([^/]+)$/, handleDocuments)
    .route('GET', /^\/data\/history\/([^/]+)\/transactions\/([^/]+)$/, handleTransactions)
    .route('GET', /^\/data\/history\/([^/]+)\/events\/documents\/([^/]+)$/, handleEvents)
}

function requireHistoryAccess(ctx: RouteContext): Dataset {
  if (!ctx.authenticated) {
    throw new LakeError(401, 'unauthorized', 'The History API needs a token (Authorization: Bearer <token>) or the Studio session, as Sanity requires')
  }
  return datasetOf(ctx)
}

function idsOf(ctx: RouteContext): string[] {
  const ids = (ctx.match[2] ?? '')
    .split(',')
    .map((id) => decodePathSegment(id, 'document id'))
    .filter(Boolean)
  if (ids.length === 0) throw new LakeError(400, 'invalidRequest', 'Name at least one document id in the path')
  if (ids.length > 100) throw new LakeError(400, 'invalidRequest', 'Ask for at most 100 documents at once')
  return [...new Set(ids)]
}

const booleanParam = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((value) => value === 'true' || value === '1' || value === '')
const timeParam = z
  .string()
  .optional()
  .transform((value, issue) => {
    if (value === undefined) return undefined
    const time = historyTime(value)
    if (time === undefined) issue.addIssue({code: 'custom', message: `"${value}" is not an ISO date-time`})
    return time
  })

function parseSearch<T extends z.ZodType>(schema: T, ctx: RouteContext): z.infer<T> {
  const raw: Record<string, string> = {}
  for (const [key, value] of ctx.url.searchParams) raw[key] = value
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    throw new LakeError(400, 'invalidRequest', `Invalid history request: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'query'}: ${issue.message}`).join('; ')}`)
  }
  return parsed.data
}

const documentsQuery = z.looseObject({revision: z.string().min(1).optional(), time: timeParam, lastRevision: booleanParam})

/** `documents/<ids>`: each document as of a revision, a time, or its last kept state. */
function handleDocuments(ctx: RouteContext): void {
  const dataset = requireHistoryAccess(ctx)
  const ids = idsOf(ctx)
  const query = parseSearch(documentsQuery, ctx)
  const chosen = [query.revision !== undefined, query.time !== undefined, query.lastRevision].filter(Boolean).length
  if (chosen > 1) throw new LakeError(400, 'invalidRequest', 'Use only one of revision, time and lastRevision')
  const history = dataset.history
  let at: (id: string) => DocumentState | undefined
  if (query.revision !== undefined) {
    const tx = history.transactionById(query.revision)
    // An unknown (or forgotten) revision finds nothing, like a document that did not exist then.
    at = (id) => (tx ? history.stateAt(id, tx.seq) : undefined)
  } else if (query.lastRevision) {
    at = (id) => history.lastKeptState(id) ?? currentState(dataset, id)
  } else {
    const time = query.time ?? new Date().toISOString()
    at = (id) => history.stateAtTime(id, time)
  }
  const documents: LakeDocument[] = []
  for (const id of ids) {
    const doc = at(id)?.doc
    if (doc) documents.push(doc)
  }
  ctx.send(200, {documents})
}

function currentState(dataset: Dataset, id: string): DocumentState | undefined {
  const doc = dataset.getDocument(id)
  return doc ? {seq: 0, doc} : undefined
}

const transactionsQuery = z.looseObject({
  fromTransaction: z.string().optional(),
  toTransaction: z.string().optional(),
  fromTime: timeParam,
  toTime: timeParam,
  authors: z.string().optional(),
  reverse: booleanParam,
  limit: z.coerce.number().int().min(0).optional(),
  effectFormat: z.enum(['mendoza']).optional(),
  excludeContent: booleanParam,
  excludeMutations: booleanParam,
  includeIdentifiedDocumentsOnly: booleanParam,
})

/** `transactions/<ids>`: the transactions that touched any of the documents, as NDJSON. */
async function handleTransactions(ctx: RouteContext): Promise<void> {
  const dataset = requireHistoryAccess(ctx)
  const ids = idsOf(ctx)
  const query = parseSearch(transactionsQuery, ctx)
  const history = dataset.history
  const seqOf = (id: string | undefined, name: string): number | undefined => {
    // The Studio sends an empty fromTransaction when it has none.
    if (id === undefined || id === '') return undefined
    const tx = history.transactionById(id)
    if (!tx) throw new LakeError(404, 'transactionNotFound', `${name} "${id}" is not a transaction of dataset "${dataset.name}" (or is older than the history kept)`)
    return tx.seq
  }
  const transactions = history.transactionsOf(ids, {
    fromSeq: seqOf(query.fromTransaction, 'fromTransaction'),
    toSeq: seqOf(query.toTransaction, 'toTransaction'),
    fromTime: query.fromTime,
    toTime: query.toTime,
    authors: query.authors?.split(',').filter(Boolean),
    reverse: query.reverse,
    limit: Math.min(query.limit ?? MAX_HISTORY_TRANSACTIONS, MAX_HISTORY_TRANSACTIONS),
  })
  const wanted = new Set(ids)
  const states = new StateReader(history)
  const lineOptions = {
    only: query.includeIdentifiedDocumentsOnly ? wanted : undefined,
    effects: query.effectFormat === 'mendoza',
    mutations: !query.excludeContent && !query.excludeMutations,
  }
  function* lines() {
    for (const tx of transactions) yield `${JSON.stringify(transactionLine(states, tx, lineOptions))}\n`
  }
  await sendNdjson(ctx.res, lines())
}

interface TransactionLine {
  id: string
  timestamp: string
  author: string
  documentIDs: string[]
  effects?: Record<string, {apply: MendozaPatch; revert: MendozaPatch}>
  mutations?: unknown[]
}

/**
 * One transaction as the History API gives it. The lake keeps each document's resulting
 * state, so `mutations` are the equivalent `createOrReplace`/`delete` of every document, and
 * `effects` the Mendoza patches between the states before and after.
 */
export function transactionLine(
  states: StateReader,
  tx: TransactionRecord,
  options: {only: ReadonlySet<string> | undefined; effects: boolean; mutations: boolean},
): TransactionLine {
  const {history} = states
  const touched = options.only
    ? [...options.only].filter((id) => history.markAt(id, tx.seq)?.seq === tx.seq)
    : history.transactionDocuments(tx.seq).map((doc) => doc.id)
  const line: TransactionLine = {id: tx.id, timestamp: tx.timestamp, author: tx.author, documentIDs: touched}
  if (options.effects || options.mutations) {
    const effects: NonNullable<TransactionLine['effects']> = {}
    const mutations: unknown[] = []
    for (const id of touched) {
      const after = states.at(id, tx.seq)
      if (options.effects) {
        // Like Sanity's, effects leave `_rev` out: the Studio applies them to documents without it.
        const before = withoutRev(states.before(id, tx.seq))
        const afterContent = withoutRev(after)
        effects[id] = {apply: diffPatch(before, afterContent), revert: diffPatch(afterContent, before)}
      }
      if (options.mutations) mutations.push(after ? {createOrReplace: after} : {delete: {id}})
    }
    if (options.effects) line.effects = effects
    if (options.mutations) line.mutations = mutations
  }
  return line
}

/**
 * Document states for one request, each read and parsed once: a transaction's "after" is the
 * next one's "before", and documents can be tens of kilobytes.
 */
export class StateReader {
  readonly history: HistoryLog
  readonly #parsed = new Map<string, LakeDocument | null>()

  constructor(history: HistoryLog) {
    this.history = history
  }

  at(id: string, seq: number): LakeDocument | null {
    return this.#read(id, this.history.markAt(id, seq))
  }

  before(id: string, seq: number): LakeDocument | null {
    return this.#read(id, this.history.markBefore(id, seq))
  }

  #read(id: string, mark: StateMark | undefined): LakeDocument | null {
    if (!mark || mark.deleted) return null
    const key = `${mark.seq}\u0000${id}`
    let doc = this.#parsed.get(key)
    if (doc === undefined) {
      doc = this.history.stateOf(id, mark)?.doc ?? null
      this.#parsed.set(key, doc)
    }
    return doc
  }
}

function withoutRev(doc: LakeDocument | null): Omit<LakeDocument, '_rev'> | null {
  if (!doc) return null
  const {_rev: _r, ...rest} = doc
  return rest
}

const eventsQuery = z.looseObject({limit: z.coerce.number().int().min(1).optional(), nextCursor: z.string().optional()})

/** `events/documents/<id>`: the document's events, newest first, a page at a time. */
function handleEvents(ctx: RouteContext): void {
  const dataset = requireHistoryAccess(ctx)
  const id = decodePathSegment(ctx.match[2] ?? '', 'document id')
  const query = parseSearch(eventsQuery, ctx)
  const limit = Math.min(query.limit ?? 100, MAX_EVENTS)
  let before: number | undefined
  if (query.nextCursor) {
    before = Number(query.nextCursor)
    if (!Number.isInteger(before) || before < 0) throw new LakeError(400, 'invalidRequest', `nextCursor "${query.nextCursor}" is not a cursor this API gave out`)
  }
  const {events, nextCursor} = documentEvents(dataset.history, id, limit, before)
  ctx.send(200, {events: {[id]: events}, nextCursor})
}

export type DocumentEvent = Record<string, unknown> & {type: string; timestamp: string; author: string}

/** `versions.<release>.<id>` → the release; `drafts.<id>` and published ids have none. */
function releaseOf(id: string): string | undefined {
  if (!id.startsWith('versions.')) return undefined
  return id.slice('versions.'.length).split('.')[0]
}

export function publishedIdOf(id: string): string {
  if (id.startsWith('drafts.')) return id.slice('drafts.'.length)
  if (id.startsWith('versions.')) return id.split('.').slice(2).join('.')
  return id
}

/**
 * What a transaction did to a document, from marks alone (no document is read): whether it
 * touched it, whether it existed before and after, and its revision before (a document's
 * `_rev` is the id of the transaction that wrote it).
 */
interface Change {
  touched: boolean
  existedBefore: boolean
  existsAfter: boolean
  revisionBefore: string | undefined
}

function changeOf(history: HistoryLog, id: string, seq: number): Change {
  const at = history.markAt(id, seq)
  const exists = (mark: StateMark | undefined) => mark !== undefined && !mark.deleted
  if (!at || at.seq !== seq) return {touched: false, existedBefore: exists(at), existsAfter: exists(at), revisionBefore: undefined}
  const before = history.markBefore(id, seq)
  return {
    touched: true,
    existedBefore: exists(before),
    existsAfter: !at.deleted,
    revisionBefore: before && !before.deleted ? history.transactionBySeq(before.seq)?.id : undefined,
  }
}

/**
 * The events of one document (published id, draft or release version), derived from the
 * transactions that touched its group: creating a draft or version, publishing it (from the
 * Studio or as part of a release), publishing the document directly, unpublishing,
 * discarding a draft or version, deleting the document. `before` continues a page: only
 * transactions with a lower sequence number are looked at.
 */
export function documentEvents(history: HistoryLog, documentId: string, limit: number, before?: number): {events: DocumentEvent[]; nextCursor: string} {
  const publishedId = publishedIdOf(documentId)
  const draftId = `drafts.${publishedId}`
  const variant = documentId === publishedId ? 'published' : documentId === draftId ? 'draft' : 'version'
  const ids = [...new Set([publishedId, draftId, documentId])]
  const events: DocumentEvent[] = []
  let toSeq = before === undefined ? undefined : before - 1
  for (;;) {
    if (toSeq !== undefined && toSeq < 0) return {events, nextCursor: ''}
    const batch = history.transactionsOf(ids, {reverse: true, limit: EVENT_SCAN_BATCH, ...(toSeq === undefined ? {} : {toSeq})})
    for (const tx of batch) {
      for (const event of eventsOfTransaction(history, tx, publishedId, documentId, variant)) events.push(event)
      if (events.length >= limit) return {events, nextCursor: String(tx.seq)}
    }
    const last = batch.at(-1)
    if (batch.length < EVENT_SCAN_BATCH || !last) return {events, nextCursor: ''}
    toSeq = last.seq - 1
  }
}

function eventsOfTransaction(
  history: HistoryLog,
  tx: TransactionRecord,
  publishedId: string,
  documentId: string,
  variant: 'published' | 'draft' | 'version',
): DocumentEvent[] {
  const base = {timestamp: tx.timestamp, author: tx.author, documentId: publishedId}
  const published = changeOf(history, publishedId, tx.seq)
  const draftId = `drafts.${publishedId}`
  const draft = changeOf(history, draftId, tx.seq)
  const out: DocumentEvent[] = []
  if (published.touched) {
    if (published.existsAfter) {
      // Published from the draft, from a release version, or written directly.
      const source = draft.touched && draft.existedBefore && !draft.existsAfter ? {id: draftId, revision: draft.revisionBefore} : deletedVersion(history, publishedId, tx.seq)
      if (source) {
        const releaseId = releaseOf(source.id)
        if (variant === 'published' || source.id === documentId) {
          out.push({
            ...base,
            type: 'publishDocumentVersion',
            versionId: source.id,
            revisionId: tx.id,
            ...(source.revision ? {versionRevisionId: source.revision} : {}),
            publishCause: releaseId ? (wasScheduled(history, releaseId, tx.seq) ? 'release.schedule' : 'release.publish') : 'document.publish',
            ...(releaseId ? {releaseId} : {}),
          })
        }
      } else if (variant === 'published') {
        out.push(
          published.existedBefore
            ? {...base, type: 'publishDocumentVersion', versionId: publishedId, revisionId: tx.id, publishCause: 'document.publish'}
            : {...base, type: 'createDocumentVersion', versionId: publishedId, versionRevisionId: tx.id, revisionId: tx.id},
        )
      }
    } else if (published.existedBefore) {
      const draftAfter = draft.existsAfter
      if (draftAfter && variant !== 'version') {
        out.push({...base, type: 'unpublishDocument', versionId: draftId, versionRevisionId: tx.id})
      } else if (!draftAfter) {
        out.push({...base, type: 'deleteDocumentGroup'})
      }
    }
    return out
  }
  // The published document is untouched: a draft or version was created or discarded.
  const own = variant === 'published' ? undefined : documentId === draftId ? draft : changeOf(history, documentId, tx.seq)
  if (!own?.touched) return out
  const releaseId = releaseOf(documentId)
  const version = {...base, versionId: documentId, ...(releaseId ? {releaseId} : {})}
  if (own.existsAfter && !own.existedBefore) out.push({...version, type: 'createDocumentVersion', versionRevisionId: tx.id})
  else if (!own.existsAfter && own.existedBefore) out.push({...version, type: 'deleteDocumentVersion', ...(own.revisionBefore ? {versionRevisionId: own.revisionBefore} : {})})
  return out
}

/** A release published by the lake's scheduler keeps its `publishAt` (see lake/releases.ts). */
function wasScheduled(history: HistoryLog, releaseId: string, seq: number): boolean {
  const release = history.stateAt(`_.releases.${releaseId}`, seq)?.doc
  return typeof release?.publishAt === 'string'
}

/** A release version of `publishedId` that transaction `seq` deleted (a release publish), with its revision before. */
function deletedVersion(history: HistoryLog, publishedId: string, seq: number): {id: string; revision: string | undefined} | undefined {
  for (const id of history.versionsDeletedIn(seq)) {
    if (publishedIdOf(id) !== publishedId) continue
    const change = changeOf(history, id, seq)
    if (change.existedBefore) return {id, revision: change.revisionBefore}
  }
  return undefined
}
