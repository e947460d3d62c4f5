/**
 * Messages between the main thread and the query workers (see pool.ts, query-worker.ts).
 * Everything is structured-clone data; documents travel as JSON text.
 */

export interface QuerySpec {
  query: string
  params: Record<string, unknown>
  /** As sent by the client (`published`, `drafts`, a release stack…); parsed in the worker. */
  perspective: string | string[] | undefined
  allowPrivate: boolean
  projectId: string
}

export interface SelectionSpec {
  query: string
  params: Record<string, unknown>
  /** The transaction's pending state, overlaid on the committed documents (null: deleted). */
  overlay: {id: string; json: string | null}[]
}

export type JobRequest =
  | {kind: 'query'; spec: QuerySpec}
  | {kind: 'select'; spec: SelectionSpec}
  | {kind: 'listen'; query: string; params: Record<string, unknown>}

export interface JobMessage {
  type: 'job'
  id: number
  dataset: string
  /** The dataset's SQLite file; the worker loads its copy from it on first use. */
  path: string
  /** Absolute time (ms since the epoch) at which the job must give up. */
  deadline: number
  /** The budget the deadline comes from, for the error message. */
  timeoutMs: number
  /** Set to 1 by the main thread to cancel (client gone, budget spent). */
  cancel: Int32Array
  request: JobRequest
}

export interface ChangeMessage {
  type: 'change'
  dataset: string
  seq: number
  /** The transaction's documents as one string (see encodeWrites): one string is copied to a worker far faster than 100k objects. */
  writes: string
}

/**
 * Encodes writes one per line, `id` TAB `json` (or just `id` for a deletion). Neither can
 * hold a raw newline: ids are validated, and JSON.stringify escapes newlines in strings.
 */
export function encodeWrites(writes: readonly {id: string; json: string | null}[]): string {
  return writes.map(({id, json}) => (json === null ? id : `${id}\t${json}`)).join('\n')
}

export function decodeWrites(encoded: string): {id: string; json: string | null}[] {
  if (encoded === '') return []
  return encoded.split('\n').map((line) => {
    const tab = line.indexOf('\t')
    return tab === -1 ? {id: line, json: null} : {id: line.slice(0, tab), json: line.slice(tab + 1)}
  })
}

/** `close`: the pool is shutting down; the worker lets go of its port and its thread ends on its own. */
export type ToWorker = JobMessage | ChangeMessage | {type: 'forget'; dataset: string} | {type: 'close'}

export interface ErrorBody {
  statusCode: number
  type: string
  description: string
  details: Record<string, unknown>
}

export type JobResult =
  | {kind: 'query'; json: Uint8Array}
  | {kind: 'select'; ids: string[]}
  | {kind: 'listen'; filters: unknown[]; usesText: boolean}

export type FromWorker =
  | {type: 'done'; id: number; result: JobResult}
  | {type: 'failed'; id: number; error: ErrorBody}
  | {type: 'ready'}
