/**
 * A query worker (see pool.ts): keeps copies of datasets, applies the change feed, and
 * evaluates queries, mutation selections and listen filters within their budget.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {DocumentSet} from './docset'
import {isRecord, type LakeDocument} from './documents'
import {errorMessage, LakeError, timedOut} from './errors'
import {type Checkpoint, compileListen, compileQuery, evaluateOver, parsePerspective, QueryAbort, View} from './groq'
import {type ChangeMessage, decodeWrites, type ErrorBody, type JobMessage, type JobResult, type SelectionSpec, type ToWorker} from './protocol'
import {Lru} from './lru'
import {stringifyCapped} from './serialize'
import {readSnapshot} from './sqlite'

const port = parentPort
if (!port) throw new Error('query-worker.ts runs as a worker thread of the lake')
const maxResponseBytes = isRecord(workerData) && typeof workerData.maxResponseBytes === 'number' ? workerData.maxResponseBytes : 64 * 1024 * 1024
/** Where this worker tells the pool it is alive (see pool.ts `isBlocked`). */
const heartbeat = isRecord(workerData) && workerData.heartbeat instanceof Float64Array ? workerData.heartbeat : new Float64Array(1)
const beat = () => {
  heartbeat[0] = Date.now()
}

/** Compiled queries by text and parameters (groq-js substitutes parameters when parsing). */
const compiled = new Lru<string, ReturnType<typeof compileQuery>>(256)
/** Longer query texts and parameters are compiled every time rather than kept. */
const COMPILED_KEY_CHARS = 16_384

/** Parses and checks a query: one step that cannot yield (up to seconds for huge queries), so the pool sees this worker as busy meanwhile. */
function compile(query: string, params: Record<string, unknown>): ReturnType<typeof compileQuery> {
  const key = query.length < COMPILED_KEY_CHARS ? `${query}\u0000${JSON.stringify(params)}` : undefined
  const kept = key !== undefined && key.length <= COMPILED_KEY_CHARS ? key : undefined
  const cached = kept === undefined ? undefined : compiled.get(kept)
  if (cached) return cached
  heartbeat[0] = -1
  try {
    const result = compileQuery(query, params)
    if (kept !== undefined) compiled.set(kept, result)
    return result
  } finally {
    beat()
  }
}

/** Long scans give other jobs and the change feed a turn this often. */
const SLICE_MS = 4

const replicas = new Map<string, DocumentSet>()
let lastYield = performance.now()

// A stream groq-js abandoned after an abort may reject with nobody listening; that is expected.
process.on('unhandledRejection', () => {})

function replica(dataset: string, path: string): DocumentSet {
  let found = replicas.get(dataset)
  if (!found) {
    const {seq, docs} = readSnapshot(path)
    found = new DocumentSet(docs, seq)
    replicas.set(dataset, found)
  }
  return found
}

function applyChange(change: ChangeMessage): void {
  const found = replicas.get(change.dataset)
  if (!found || change.seq <= found.seq) return
  if (change.seq !== found.seq + 1) {
    // A gap (should not happen): reload from SQLite on next use rather than drift.
    replicas.delete(change.dataset)
    return
  }
  found.apply(
    decodeWrites(change.writes).map(({id, json}) => ({id, doc: json === null ? null : (JSON.parse(json) as LakeDocument)})),
    change.seq,
  )
}

function checkpointFor(job: JobMessage): Checkpoint {
  return () => {
    if (Atomics.load(job.cancel, 0) === 1) throw new QueryAbort('cancelled')
    const now = Date.now()
    heartbeat[0] = now
    if (now > job.deadline) throw new QueryAbort('timeout')
    if (performance.now() - lastYield < SLICE_MS) return undefined
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        lastYield = performance.now()
        beat()
        resolve()
      }),
    )
  }
}

async function execute(job: JobMessage): Promise<JobResult> {
  const checkpoint = checkpointFor(job)
  const {request} = job
  switch (request.kind) {
    case 'query': {
      const {spec} = request
      const perspective = parsePerspective(spec.perspective)
      const docs = replica(job.dataset, job.path)
      const {tree, usesText} = compile(spec.query, spec.params)
      const result = await evaluateOver({
        tree,
        view: docs.view(perspective, spec.allowPrivate),
        params: spec.params,
        sanity: {projectId: spec.projectId, dataset: job.dataset},
        usesText,
        checkpoint,
      })
      const json = stringifyCapped(result, maxResponseBytes)
      const bytes = json === undefined ? undefined : new TextEncoder().encode(json)
      if (bytes === undefined || bytes.byteLength > maxResponseBytes) {
        throw new LakeError(413, 'queryResultTooLarge', `The query result is larger than the lake's limit of ${maxResponseBytes} bytes; select fewer fields or paginate with a slice ([0...100])`)
      }
      return {kind: 'query', json: bytes}
    }
    case 'select':
      return {kind: 'select', ids: await select(job, request.spec, checkpoint)}
    case 'listen': {
      heartbeat[0] = -1
      try {
        return {kind: 'listen', ...compileListen(request.query, request.params)}
      } finally {
        beat()
      }
    }
  }
}

/** A mutation selection: the raw documents with the transaction's pending changes overlaid. */
async function select(job: JobMessage, spec: SelectionSpec, checkpoint: Checkpoint): Promise<string[]> {
  const docs = replica(job.dataset, job.path)
  let view: View
  if (spec.overlay.length === 0) {
    view = docs.view({kind: 'raw'}, true)
  } else {
    const merged = new Map<string, LakeDocument>(docs.documents().map((doc) => [doc._id, doc]))
    for (const {id, json} of spec.overlay) {
      if (json === null) merged.delete(id)
      else merged.set(id, JSON.parse(json) as LakeDocument)
    }
    view = new View([...merged.values()].sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0)))
  }
  const {tree, usesText} = compile(spec.query, spec.params)
  const found = await evaluateOver({tree, view, params: spec.params, usesText, checkpoint})
  const items = Array.isArray(found) ? found : found === null || found === undefined ? [] : [found]
  const ids: string[] = []
  for (const item of items) {
    if (isRecord(item) && typeof item._id === 'string') ids.push(item._id)
    else throw new LakeError(400, 'queryError', `Selection query "${spec.query}" must return documents (objects with _id)`)
  }
  return [...new Set(ids)]
}

function errorBody(error: unknown, job: JobMessage): ErrorBody {
  if (error instanceof QueryAbort) {
    // The same answer the pool gives when it stops waiting at the deadline.
    return error.reason === 'timeout' ? errorBody(timedOut(job.timeoutMs), job) : {statusCode: 499, type: 'queryCancelled', description: 'The query was cancelled', details: {}}
  }
  if (error instanceof LakeError) return {statusCode: error.statusCode, type: error.type, description: error.message, details: error.details}
  if (error instanceof RangeError) {
    return {statusCode: 400, type: 'queryExecutionError', description: `The query could not be evaluated: ${error.message}`, details: {}}
  }
  return {statusCode: 500, type: 'internalError', description: `Query worker error: ${errorMessage(error)}`, details: {}}
}

async function runJob(job: JobMessage): Promise<void> {
  beat()
  try {
    const result = await execute(job)
    port?.postMessage({type: 'done', id: job.id, result}, result.kind === 'query' ? [result.json.buffer as ArrayBuffer] : [])
  } catch (error) {
    port?.postMessage({type: 'failed', id: job.id, error: errorBody(error, job)})
  }
  beat()
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'change') applyChange(message)
  else if (message.type === 'forget') replicas.delete(message.dataset)
  else if (message.type === 'close') port.close()
  else void runJob(message)
})
beat()
port.postMessage({type: 'ready'})
