/**
 * The two sides of the differential test (issue 12) and the runner that drives them.
 *
 * - Lake: `DocumentSet` (writes applied with `apply`, one committed transaction at a time),
 *   `set.view(perspective, allowPrivate)`, `compileQuery` and `evaluateOver`, with and
 *   without a checkpoint.
 * - Reference: plain groq-js `evaluate(parse(query, {params}), {dataset, params})` over a
 *   document array computed here from a plain `Map` of the current documents, following
 *   the lake's perspective rules (written out again below, not imported).
 *
 * Results are compared as `JSON.stringify` strings. A difference throws a
 * `DifferenceError` whose message is a complete reproduction (documents, transactions,
 * query, params, perspective, both results) plus a JSON line `replay()` accepts.
 */
import {evaluate, parse} from 'groq-js'

import {DocumentSet} from '../../lake/docset'
import type {LakeDocument} from '../../lake/documents'
import {type Checkpoint, compileQuery, evaluateOver, parsePerspective} from '../../lake/groq'

/** A stored document as the test generates it (system fields may be absent). */
export type Doc = {_id: string; _type: string} & Record<string, unknown>

export const PERSPECTIVES = ['raw', 'published', 'drafts', 'previewDrafts', 'rel1,drafts', 'rel1', 'rel2,rel1,drafts'] as const
export type PerspectiveName = (typeof PERSPECTIVES)[number]

/** Overlay prefixes of each layered perspective, highest priority first (null: not layered). */
const LAYERS: Record<PerspectiveName, readonly string[] | null> = {
  raw: null,
  published: null,
  drafts: ['drafts.'],
  previewDrafts: ['drafts.'],
  'rel1,drafts': ['versions.rel1.', 'drafts.'],
  rel1: ['versions.rel1.'],
  'rel2,rel1,drafts': ['versions.rel2.', 'versions.rel1.', 'drafts.'],
}

export interface QueryCase {
  query: string
  params: Record<string, unknown>
  perspective: PerspectiveName
  allowPrivate: boolean
}

/** One write of a committed transaction, as `DocumentSet.apply` takes it. */
export interface Write {
  id: string
  doc: Doc | null
}

/** Code-unit order of ids (what `*` yields documents in). */
function byId(a: Doc, b: Doc): number {
  return a._id < b._id ? -1 : a._id > b._id ? 1 : 0
}

/** The documents a query sees under a perspective, computed from the plain document map. */
export function referenceDataset(model: ReadonlyMap<string, Doc>, perspective: PerspectiveName, allowPrivate: boolean): Doc[] {
  const all = [...model.values()].sort(byId)
  // Callers without read access to private data never see an id with a dot, whatever the perspective.
  const visible = allowPrivate ? all : all.filter((doc) => !doc._id.includes('.'))
  if (perspective === 'raw') return visible
  const published = visible.filter((doc) => !doc._id.startsWith('drafts.') && !doc._id.startsWith('versions.'))
  const layers = LAYERS[perspective]
  if (layers === null) return published
  const byPublishedId = new Map<string, Doc>()
  for (const doc of published) byPublishedId.set(doc._id, {...doc, _originalId: doc._id})
  for (let i = layers.length - 1; i >= 0; i--) {
    const prefix = layers[i] ?? ''
    for (const doc of visible) {
      if (!doc._id.startsWith(prefix)) continue
      const id = doc._id.slice(prefix.length)
      byPublishedId.set(id, {...doc, _id: id, _originalId: doc._id})
    }
  }
  return [...byPublishedId.values()].sort(byId)
}

export type Outcome = {ok: true; json: string} | {ok: false; error: string}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** Plain groq-js: parse with the params, evaluate over the dataset, `.get()`. */
export async function referenceOutcome(dataset: readonly Doc[], query: string, params: Record<string, unknown>): Promise<Outcome> {
  try {
    const tree = parse(query, {params})
    const value = await evaluate(tree, {dataset, params})
    return {ok: true, json: JSON.stringify(await value.get()) ?? 'undefined'}
  } catch (error) {
    return {ok: false, error: errorText(error)}
  }
}

/**
 * How the lake side is called (the real server always passes a checkpoint): `plain` without
 * one, `checkpoint` with one that returns undefined, `yielding` with one that returns a
 * promise (resolved on the next turn of the event loop) every other call, as the query worker does.
 */
export const MODES = ['plain', 'checkpoint', 'yielding'] as const
export type Mode = (typeof MODES)[number]

export const counters = {
  checkpointCalls: 0,
  yields: 0,
}

/** The slowest `check` so far (reference plus every lake mode), to keep the grammar's cost in view. */
export const slowest = {ms: 0, query: '', documents: 0}

function checkpointFor(mode: Mode): Checkpoint | undefined {
  if (mode === 'plain') return undefined
  if (mode === 'checkpoint') {
    return () => {
      counters.checkpointCalls++
      return undefined
    }
  }
  // Like the query worker: now and then the checkpoint hands back a promise (a yield to other work).
  let calls = 0
  return () => {
    counters.checkpointCalls++
    if (++calls % 2 === 0) return undefined
    counters.yields++
    return new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** The lake: compileQuery + evaluateOver over `set.view(...)`. */
export async function lakeOutcome(set: DocumentSet, c: QueryCase, mode: Mode, view = set.view(parsePerspective(c.perspective), c.allowPrivate)): Promise<Outcome> {
  try {
    const {tree, usesText} = compileQuery(c.query, c.params)
    const checkpoint = checkpointFor(mode)
    const result = await evaluateOver({tree, view, params: c.params, usesText, ...(checkpoint ? {checkpoint} : {})})
    return {ok: true, json: JSON.stringify(result) ?? 'undefined'}
  } catch (error) {
    return {ok: false, error: errorText(error)}
  }
}

/** Whether a result says something (not an error, null, false, 0 or empty). */
export function isNonEmpty(outcome: Outcome): boolean {
  return outcome.ok && !['null', '[]', '0', '{}', 'false', '""'].includes(outcome.json)
}

/** Both sides agree when both produce the same JSON, or both refuse the query (messages may differ). */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return a.ok && b.ok ? a.json === b.json : !a.ok && !b.ok
}

function show(outcome: Outcome): string {
  return outcome.ok ? outcome.json : `(error) ${outcome.error}`
}

/** Everything needed to replay a difference outside fast-check (see `replay`). */
export interface Reproduction {
  initial: Doc[]
  initialSeq: number
  transactions: Write[][]
  query: string
  params: Record<string, unknown>
  perspective: PerspectiveName
  allowPrivate: boolean
  /**
   * Set when the query started before the last transaction, which was applied while it was
   * in flight, and then ran again over the same view: a view is a snapshot and never changes.
   */
  staleView?: boolean
  /** Queries that ran at the same time over the same DocumentSet, each yielding at its checkpoints. */
  concurrentWith?: QueryCase[]
}

export class DifferenceError extends Error {
  readonly reproduction: Reproduction
  constructor(what: string, repro: Reproduction, mode: Mode, lake: Outcome, reference: Outcome, documents: readonly Doc[]) {
    const lines = [
      `${what}: the lake (${mode}) and plain groq-js differ`,
      `perspective: ${repro.perspective}   allowPrivate: ${repro.allowPrivate}${repro.staleView ? '   (view taken before the last transaction)' : ''}`,
      `query:      ${repro.query}`,
      `params:     ${JSON.stringify(repro.params)}`,
      `lake:       ${show(lake)}`,
      `reference:  ${show(reference)}`,
      `documents the reference evaluated over (${documents.length}):`,
      ...documents.map((doc) => `  ${JSON.stringify(doc)}`),
      `initial documents (seq ${repro.initialSeq}, ${repro.initial.length}):`,
      ...repro.initial.map((doc) => `  ${JSON.stringify(doc)}`),
      `transactions applied with set.apply (${repro.transactions.length}):`,
      ...repro.transactions.map((writes, i) => `  #${repro.initialSeq + i + 1}: ${JSON.stringify(writes)}`),
      `replay (pass to replay() in differential-harness.ts):`,
      JSON.stringify(repro),
    ]
    if (repro.concurrentWith) lines.splice(4, 0, `while running concurrently with: ${JSON.stringify(repro.concurrentWith)}`)
    super(lines.join('\n'))
    this.name = 'DifferenceError'
    this.reproduction = repro
  }
}

/** The lake tolerates documents without `_rev`/`_createdAt`/`_updatedAt`; the type insists on them. */
function asLake(doc: Doc): LakeDocument {
  return structuredClone(doc) as LakeDocument
}

/**
 * Drives one DocumentSet and the plain reference map in lockstep: `commit` applies a
 * transaction to both, `check` runs a query through every lake mode and the reference.
 */
export class Lockstep {
  readonly model = new Map<string, Doc>()
  readonly set: DocumentSet
  readonly initial: Doc[]
  readonly initialSeq: number
  readonly transactions: Write[][] = []
  seq: number
  stats = {writes: 0, transactions: 0, staleChecks: 0, bigChecks: 0}

  constructor(initial: readonly Doc[], seq: number) {
    for (const doc of initial) this.model.set(doc._id, structuredClone(doc))
    this.initial = [...this.model.values()].sort(byId).map((doc) => structuredClone(doc))
    this.initialSeq = seq
    this.seq = seq
    this.set = new DocumentSet(
      this.initial.map((doc) => asLake(doc)),
      seq,
    )
  }

  /** Applies one committed transaction (writes with distinct ids) to the lake and the model. */
  commit(writes: readonly Write[]): void {
    if (writes.length === 0) return
    this.seq++
    this.set.apply(
      writes.map(({id, doc}) => ({id, doc: doc ? asLake(doc) : null})),
      this.seq,
    )
    for (const {id, doc} of writes) {
      if (doc) this.model.set(id, structuredClone(doc))
      else this.model.delete(id)
    }
    this.transactions.push(writes.map(({id, doc}) => ({id, doc: doc ? structuredClone(doc) : null})))
    this.stats.transactions++
    this.stats.writes += writes.length
  }

  reproduction(c: QueryCase, extra: Pick<Reproduction, 'staleView' | 'concurrentWith'> = {}): Reproduction {
    return {
      initial: this.initial,
      initialSeq: this.initialSeq,
      transactions: [...this.transactions],
      query: c.query,
      params: c.params,
      perspective: c.perspective,
      allowPrivate: c.allowPrivate,
      ...extra,
    }
  }

  /** Runs a query through the reference and each lake mode in turn; throws a DifferenceError on any difference. */
  async check(c: QueryCase, modes: readonly Mode[] = MODES): Promise<Outcome> {
    const started = performance.now()
    const dataset = referenceDataset(this.model, c.perspective, c.allowPrivate)
    const reference = await referenceOutcome(dataset, c.query, c.params)
    for (const mode of modes) {
      const lake = await lakeOutcome(this.set, c, mode)
      if (!sameOutcome(lake, reference)) throw new DifferenceError('Difference', this.reproduction(c), mode, lake, reference, dataset)
    }
    if (dataset.length >= 256) this.stats.bigChecks++
    const ms = performance.now() - started
    if (ms > slowest.ms) Object.assign(slowest, {ms, query: c.query, documents: dataset.length})
    return reference
  }

  /**
   * A step's queries: each one alone (plain, then with a checkpoint), then all of them at
   * once, each yielding at its checkpoints, as the query worker interleaves jobs.
   */
  async checkAll(cases: readonly QueryCase[]): Promise<Outcome[]> {
    const references: Outcome[] = []
    for (const c of cases) references.push(await this.check(c, ['plain', 'checkpoint']))
    const lakes = await Promise.all(cases.map((c) => lakeOutcome(this.set, c, 'yielding')))
    for (const [i, c] of cases.entries()) {
      const lake = lakes[i]
      const reference = references[i]
      if (!lake || !reference || sameOutcome(lake, reference)) continue
      const concurrentWith = cases.filter((_, j) => j !== i)
      const dataset = referenceDataset(this.model, c.perspective, c.allowPrivate)
      throw new DifferenceError(concurrentWith.length > 0 ? 'Difference (queries run concurrently)' : 'Difference', this.reproduction(c, concurrentWith.length > 0 ? {concurrentWith} : {}), 'yielding', lake, reference, dataset)
    }
    return references
  }

  /**
   * Starts the query now (yielding at checkpoints) over the current view; call `commit`, then
   * `verify`: the query that was in flight during the write, and the same view queried again,
   * both answer as of before the write (views are snapshots).
   */
  inFlight(c: QueryCase): {verify(): Promise<void>} {
    const view = this.set.view(parsePerspective(c.perspective), c.allowPrivate)
    const dataset = referenceDataset(this.model, c.perspective, c.allowPrivate)
    const running = lakeOutcome(this.set, c, 'yielding', view)
    return {
      verify: async () => {
        const reference = await referenceOutcome(dataset, c.query, c.params)
        const during = await running
        if (!sameOutcome(during, reference)) throw new DifferenceError('A write landed during the query and changed its result', this.reproduction(c, {staleView: true}), 'yielding', during, reference, dataset)
        const after = await lakeOutcome(this.set, c, 'checkpoint', view)
        if (!sameOutcome(after, reference)) throw new DifferenceError('A view taken before the last write changed', this.reproduction(c, {staleView: true}), 'checkpoint', after, reference, dataset)
        this.stats.staleChecks++
      },
    }
  }

}

/** Replays a printed reproduction; resolves with the reference outcome, throws DifferenceError on a difference. */
export async function replay(repro: Reproduction): Promise<Outcome> {
  const lockstep = new Lockstep(repro.initial, repro.initialSeq)
  const c: QueryCase = {query: repro.query, params: repro.params, perspective: repro.perspective, allowPrivate: repro.allowPrivate}
  const last = repro.transactions.length - 1
  for (const [i, writes] of repro.transactions.entries()) {
    if (repro.staleView && i === last) {
      const inFlight = lockstep.inFlight(c)
      lockstep.commit(writes)
      await inFlight.verify()
    } else {
      lockstep.commit(writes)
    }
  }
  if (!repro.concurrentWith) return lockstep.check(c)
  const [outcome] = await lockstep.checkAll([c, ...repro.concurrentWith])
  if (!outcome) throw new Error('checkAll returned nothing')
  return outcome
}
