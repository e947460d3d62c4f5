import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {Dataset} from './dataset'
import {LakeError} from './errors'

/** Sanity's dataset naming rule. */
const DATASET_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

export function isValidDatasetName(name: string): boolean {
  return DATASET_NAME.test(name)
}

/**
 * The lake's data folder: one SQLite database per dataset under `<dir>/datasets/`.
 * A pid lock file stops two processes from serving the same folder (each keeps its
 * own in-memory copy, so they would drift apart). A lock left by a dead process is taken over.
 */
export class LakeStore {
  readonly dir: string
  readonly #datasets = new Map<string, Dataset>()
  readonly #lockPath: string
  readonly #openHooks = new Set<(dataset: Dataset) => void>()
  #closed = false

  constructor(dir: string) {
    this.dir = resolve(dir)
    mkdirSync(join(this.dir, 'datasets'), {recursive: true})
    this.#lockPath = join(this.dir, 'lake.pid')
    acquireLock(this.#lockPath)
  }

  /** Opens (creating on first use) a dataset. */
  dataset(name: string): Dataset {
    if (this.#closed) throw new LakeError(503, 'unavailable', 'The lake store is closed')
    let dataset = this.#datasets.get(name)
    if (!dataset) {
      if (!isValidDatasetName(name)) {
        throw new LakeError(400, 'invalidDatasetName', `Invalid dataset name "${name}": use 1-64 lowercase letters, digits, "_" or "-", starting with a letter or digit`)
      }
      dataset = new Dataset(name, join(this.dir, 'datasets', `${name}.sqlite`))
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

  /** True when the dataset is open or exists on disk (without creating it). */
  hasDataset(name: string): boolean {
    return this.#datasets.has(name) || (isValidDatasetName(name) && existsSync(join(this.dir, 'datasets', `${name}.sqlite`)))
  }

  /** Names of datasets that exist on disk or are open. */
  datasetNames(): string[] {
    const onDisk = readdirSync(join(this.dir, 'datasets'))
      .filter((file) => file.endsWith('.sqlite'))
      .map((file) => file.slice(0, -'.sqlite'.length))
    return [...new Set([...onDisk, ...this.#datasets.keys()])].sort()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const dataset of this.#datasets.values()) dataset.close()
    this.#datasets.clear()
    releaseLock(this.#lockPath)
  }
}

export function openLakeStore(dir: string): LakeStore {
  return new LakeStore(dir)
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
    writeFileSync(path, `${process.pid}\n`, {flag: 'wx'})
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
  writeFileSync(path, `${process.pid}\n`)
}

function releaseLock(path: string): void {
  try {
    if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) rmSync(path)
  } catch {
    // Already gone.
  }
}
