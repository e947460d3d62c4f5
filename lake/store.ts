import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {Dataset} from './dataset'
import {LakeError} from './errors'
import {QueryPool, type QueryPoolOptions} from './pool'
import {PRIVATE_FILE_MODE, readReferrers, type Referrer} from './sqlite'

/** The lake's folders are private to their owner, like the files in them. */
export const PRIVATE_DIR_MODE = 0o700

export interface LakeStoreOptions {
  /** Number of query workers. Default 2. */
  queryWorkers?: number
  /** Time budget of one query in ms. Default 10 000. */
  queryTimeoutMs?: number
  /** Largest serialized query result in bytes. Default 64 MiB. */
  maxResponseBytes?: number
  /** Heap limit of each query worker in MiB. Default 4096. */
  workerMemoryMb?: number
  log?: (line: string) => void
}

function privateDir(path: string): void {
  mkdirSync(path, {recursive: true, mode: PRIVATE_DIR_MODE})
  // mkdir's mode is subject to the umask, and the folder may exist from an older version.
  chmodSync(path, PRIVATE_DIR_MODE)
}

/** Sanity's dataset naming rule. */
const DATASET_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

export function isValidDatasetName(name: string): boolean {
  return DATASET_NAME.test(name)
}

/**
 * The lake's data folder: one SQLite database per dataset under `<dir>/datasets/`.
 * A pid lock file stops two processes from serving the same folder (each keeps its
 * own in-memory copy, so they would drift apart). A lock left by a dead process is taken over.
 * Folders are 0700 and files 0600. The store owns the query workers (pool.ts).
 */
export class LakeStore {
  readonly dir: string
  readonly pool: QueryPool
  readonly #datasets = new Map<string, Dataset>()
  readonly #lockPath: string
  readonly #openHooks = new Set<(dataset: Dataset) => void>()
  #closed = false

  constructor(dir: string, options: LakeStoreOptions = {}) {
    this.dir = resolve(dir)
    privateDir(this.dir)
    privateDir(join(this.dir, 'datasets'))
    this.#lockPath = join(this.dir, 'lake.pid')
    acquireLock(this.#lockPath)
    const poolOptions: QueryPoolOptions = {}
    if (options.queryWorkers !== undefined) poolOptions.workers = options.queryWorkers
    if (options.queryTimeoutMs !== undefined) poolOptions.queryTimeoutMs = options.queryTimeoutMs
    if (options.maxResponseBytes !== undefined) poolOptions.maxResponseBytes = options.maxResponseBytes
    if (options.workerMemoryMb !== undefined) poolOptions.workerMemoryMb = options.workerMemoryMb
    if (options.log) poolOptions.log = options.log
    this.pool = new QueryPool(poolOptions)
  }

  /** Opens (creating on first use) a dataset. */
  dataset(name: string): Dataset {
    if (this.#closed) throw new LakeError(503, 'unavailable', 'The lake store is closed')
    let dataset = this.#datasets.get(name)
    if (!dataset) {
      if (!isValidDatasetName(name)) {
        throw new LakeError(400, 'invalidDatasetName', `Invalid dataset name "${name}": use 1-64 lowercase letters, digits, "_" or "-", starting with a letter or digit`)
      }
      dataset = new Dataset(name, this.#datasetPath(name), this.pool)
      this.#datasets.set(name, dataset)
      for (const hook of this.#openHooks) hook(dataset)
    }
    return dataset
  }

  /**
   * Runs `hook` for every dataset when it opens (and now for those already open), so that
   * storage kept beside a dataset (asset bytes) can follow its documents.
   */
  onDatasetOpen(hook: (dataset: Dataset) => void): () => void {
    this.#openHooks.add(hook)
    for (const dataset of this.#datasets.values()) hook(dataset)
    return () => this.#openHooks.delete(hook)
  }

  #datasetPath(name: string): string {
    return join(this.dir, 'datasets', `${name}.sqlite`)
  }

  /** True when the dataset is open or exists on disk (without creating it). */
  hasDataset(name: string): boolean {
    return this.#datasets.has(name) || (isValidDatasetName(name) && existsSync(this.#datasetPath(name)))
  }

  /**
   * Documents in other datasets of this lake holding cross-dataset references
   * (`_dataset: "<dataset>"`) to `id`. Datasets that are not open are read without opening them.
   */
  crossDatasetReferrers(dataset: string, id: string): {dataset: string; referrer: Referrer}[] {
    const out: {dataset: string; referrer: Referrer}[] = []
    for (const name of this.datasetNames()) {
      if (name === dataset) continue
      const open = this.#datasets.get(name)
      const referrers = open ? open.crossDatasetReferrers(id, dataset) : readReferrers(this.#datasetPath(name), id, dataset)
      for (const referrer of referrers) out.push({dataset: name, referrer})
    }
    return out
  }

  /** Names of datasets that exist on disk or are open. */
  datasetNames(): string[] {
    const onDisk = readdirSync(join(this.dir, 'datasets'))
      .filter((file) => file.endsWith('.sqlite'))
      .map((file) => file.slice(0, -'.sqlite'.length))
    return [...new Set([...onDisk, ...this.#datasets.keys()])].sort()
  }

  /** Closes the datasets and stops the query workers (awaitable; the datasets are closed at once). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve()
    this.#closed = true
    for (const dataset of this.#datasets.values()) dataset.close()
    this.#datasets.clear()
    releaseLock(this.#lockPath)
    return this.pool.close()
  }
}

export function openLakeStore(dir: string, options: LakeStoreOptions = {}): LakeStore {
  return new LakeStore(dir, options)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function acquireLock(path: string): void {
  try {
    writeFileSync(path, `${process.pid}\n`, {flag: 'wx', mode: PRIVATE_FILE_MODE})
    chmodSync(path, PRIVATE_FILE_MODE)
    return
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const holder = Number.parseInt(readFileSync(path, 'utf8'), 10)
  if (Number.isInteger(holder) && isAlive(holder)) {
    const who = holder === process.pid ? 'this process (close the other store first)' : `process ${holder}`
    throw new Error(`The lake data folder is in use by ${who}: ${path}. Stop that lake or choose another --dir.`)
  }
  // Stale lock from a process that died (e.g. killed mid-import): take it over.
  writeFileSync(path, `${process.pid}\n`, {mode: PRIVATE_FILE_MODE})
  chmodSync(path, PRIVATE_FILE_MODE)
}

function releaseLock(path: string): void {
  try {
    if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) rmSync(path)
  } catch {
    // Already gone.
  }
}
