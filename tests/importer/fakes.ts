import {createHash} from 'node:crypto'
import {PassThrough} from 'node:stream'

import {Mutation as Mutator} from '@sanity/mutator'
import {evaluate, parse} from 'groq-js'

import {defaultSeedDeps, type SeedDeps} from '../../importer/command'
import type {DatasetClient, Mutation} from '../../importer/index'

/** Sorts keys recursively: the stored form need not keep the importer's key order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, child]) => [key, sortKeys(child)]),
    )
  }
  return value
}

type Stored = Record<string, unknown> & {_id: string}

/** A mutation the lake would refuse: the whole transaction fails and stores nothing. */
export class ConflictError extends Error {
  readonly statusCode = 409
}

/**
 * An in-memory dataset that behaves like the Content Lake for the importer: it
 * answers any GROQ query (raw perspective: drafts included) with groq-js, applies
 * each `mutate` call as one all-or-nothing transaction (create, createIfNotExists,
 * patch with `ifRevisionID`) and adds `_rev`, `_createdAt` and `_updatedAt`.
 */
export class FakeDataset implements DatasetClient {
  readonly documents = new Map<string, Stored>()
  readonly commits: Mutation[][] = []
  queries = 0
  private revision = 0

  async fetch<R>(query: string, params: Record<string, unknown>): Promise<R> {
    this.queries++
    const tree = parse(query, {params})
    const result = await evaluate(tree, {dataset: [...this.documents.values()], params})
    return (await result.get()) as R
  }

  /** Ids of the documents each commit wrote, in order. */
  writtenIds(commit: number): string[] {
    return this.commits[commit]!.map((mutation) =>
      'patch' in mutation
        ? mutation.patch.id
        : 'create' in mutation
          ? mutation.create._id
          : 'delete' in mutation
            ? mutation.delete.id
            : mutation.createIfNotExists._id,
    )
  }

  /** Asset uploads: the same bytes give the same asset document, as the assets API does. */
  readonly uploads: string[] = []

  async uploadAsset(kind: 'image' | 'file', bytes: Uint8Array, options: {filename: string}): Promise<{_id: string}> {
    const sha1 = createHash('sha1').update(bytes).digest('hex')
    const extension = options.filename.split('.').pop()?.toLowerCase() ?? 'bin'
    const _id = `${kind}-${sha1}${kind === 'image' ? '-1x1' : ''}-${extension}`
    this.uploads.push(_id)
    if (!this.documents.has(_id)) {
      this.documents.set(_id, {_id, _type: `sanity.${kind}Asset`, sha1hash: sha1, originalFilename: options.filename, _rev: `upload${this.uploads.length}`})
    }
    return {_id}
  }

  async mutate(mutations: readonly Mutation[]): Promise<void> {
    const next = new Map(this.documents)
    const now = `2025-01-01T00:00:${String(this.revision).padStart(2, '0')}Z`
    const rev = `rev${++this.revision}`
    const store = (document: object, previous: Stored | undefined) => {
      const {_rev, _createdAt, _updatedAt, ...content} = JSON.parse(JSON.stringify(document)) as Stored
      next.set(content._id, sortKeys({...content, _rev: rev, _createdAt: previous?._createdAt ?? now, _updatedAt: now}) as Stored)
    }
    for (const mutation of mutations) {
      if ('create' in mutation) {
        if (next.has(mutation.create._id)) throw new ConflictError(`document ${mutation.create._id} already exists`)
        store(mutation.create, undefined)
      } else if ('createIfNotExists' in mutation) {
        if (!next.has(mutation.createIfNotExists._id)) store(mutation.createIfNotExists, undefined)
      } else if ('delete' in mutation) {
        next.delete(mutation.delete.id)
      } else {
        const {id, ifRevisionID, ...patch} = mutation.patch
        const current = next.get(id)
        if (!current) throw new ConflictError(`cannot patch missing document ${id}`)
        if (ifRevisionID !== undefined && current._rev !== ifRevisionID) throw new ConflictError(`document ${id} has revision ${String(current._rev)}, not ${ifRevisionID}`)
        const patched = new Mutator({mutations: [{patch: {id, ...patch}}]}).apply(current as never)
        store(patched as Record<string, unknown>, current)
      }
    }
    this.commits.push([...mutations])
    this.documents.clear()
    for (const [key, value] of next) this.documents.set(key, value)
  }
}

export interface Captured {
  deps: SeedDeps
  stdout: () => string
  stderr: () => string
  clientsCreated: () => number
}

/** Real file system, captured output, and the given dataset (or one that must not be used). */
export function testDeps(dataset?: DatasetClient, overrides: Partial<SeedDeps> = {}): Captured {
  let out = ''
  let err = ''
  let clients = 0
  const deps: SeedDeps = {
    ...defaultSeedDeps({terminal: new PassThrough()}),
    target: () => ({kind: 'lake', projectId: 'local', dataset: 'test', token: 'test-token', apiHost: 'http://127.0.0.1:1'}),
    createClient: () => {
      clients++
      if (!dataset) throw new Error('this test must not contact a dataset')
      return dataset
    },
    stdout: (text) => {
      out += text
    },
    stderr: (text) => {
      err += text
    },
    // A fixed clock keeps the summary line comparable.
    now: () => 0,
    ...overrides,
  }
  return {deps, stdout: () => out, stderr: () => err, clientsCreated: () => clients}
}
