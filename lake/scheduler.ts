import {existsSync} from 'node:fs'
import {join} from 'node:path'

import type {Dataset} from './dataset'
import {errorMessage} from './errors'
import {LAKE_TOKEN_USER_ID} from './history'
import {isReleaseDocument, publishReleaseMutations, RELEASE_DOCUMENTS_PREFIX, releaseDocumentId, releases} from './releases'
import {readWithPrefix} from './sqlite'
import type {LakeStore} from './store'

/**
 * The lake's background work, one per store: publishing scheduled releases when they are due
 * and forgetting history past the retention window.
 *
 * - Scheduled releases are tracked per open dataset (from its documents at open, then from
 *   its change feed); a timer wakes at the earliest `publishAt` (at least once a minute) and
 *   publishes what is due in one transaction per release, attributed to whoever scheduled it.
 * - At start, datasets on disk that hold scheduled releases are opened, so a release that
 *   fell due while the lake was stopped is published as soon as it starts again.
 * - Retention: each dataset's history older than `historyRetentionDays` is pruned when it
 *   opens and every hour after.
 */

export interface LakeSchedulerOptions {
  /** Days of history kept (transactions and old revisions). Default 365; 0 keeps everything. */
  historyRetentionDays?: number
  log?: (line: string) => void
  /** Clock, for tests. */
  now?: () => Date
}

export const DEFAULT_HISTORY_RETENTION_DAYS = 365

/** The environment variable that sets the retention when no `--history-retention-days` flag does. */
export const HISTORY_RETENTION_ENV = 'LAKE_HISTORY_RETENTION_DAYS'

/**
 * Days of history to keep, from the `--history-retention-days` flag or `LAKE_HISTORY_RETENTION_DAYS`
 * (0 keeps everything); undefined when neither is set. Throws a readable error for anything else.
 */
export function resolveHistoryRetentionDays(flag: string | undefined, env: Record<string, string | undefined> = process.env): number | undefined {
  const [value, name] = flag !== undefined ? [flag, '--history-retention-days'] : [env[HISTORY_RETENTION_ENV], HISTORY_RETENTION_ENV]
  if (value === undefined || value === '') return undefined
  const days = Number(value)
  if (!Number.isInteger(days) || days < 0 || days > 36_500) {
    throw new Error(`${name} must be a whole number of days from 0 (keep all history) to 36500, not "${value}"`)
  }
  return days
}
const MAX_SLEEP_MS = 60_000
const PRUNE_EVERY_MS = 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000

const schedulers = new WeakMap<LakeStore, LakeScheduler>()

/** Starts the store's background work (once per store; later calls return the running one). */
export function startLakeScheduler(store: LakeStore, options: LakeSchedulerOptions = {}): LakeScheduler {
  let scheduler = schedulers.get(store)
  if (!scheduler) {
    scheduler = new LakeScheduler(store, options)
    schedulers.set(store, scheduler)
  }
  return scheduler
}

export class LakeScheduler {
  readonly #store: LakeStore
  readonly #retentionDays: number
  readonly #log: (line: string) => void
  readonly #now: () => Date
  /** Per dataset name: scheduled release id → due time (ms). */
  readonly #due = new Map<string, Map<string, number>>()
  readonly #datasets = new Map<string, Dataset>()
  #timer: NodeJS.Timeout | undefined
  #pruneTimer: NodeJS.Timeout | undefined
  #running: Promise<void> = Promise.resolve()
  #stopped = false

  constructor(store: LakeStore, options: LakeSchedulerOptions) {
    this.#store = store
    this.#retentionDays = options.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS
    this.#log = options.log ?? (() => {})
    this.#now = options.now ?? (() => new Date())
    store.onDatasetOpen((dataset) => this.#track(dataset))
    this.#openDatasetsWithSchedules()
    this.#pruneTimer = setInterval(() => this.#pruneAll(), PRUNE_EVERY_MS)
    this.#pruneTimer.unref()
    this.#arm()
  }

  /** Days of history kept (0: everything). */
  get historyRetentionDays(): number {
    return this.#retentionDays
  }

  /** Publishes every release that is due now (the timer calls it; tests may too). Resolves when done. */
  runDue(): Promise<void> {
    this.#running = this.#running.then(() => this.#publishDue())
    return this.#running
  }

  stop(): void {
    if (schedulers.get(this.#store) === this) schedulers.delete(this.#store)
    this.#stopped = true
    clearTimeout(this.#timer)
    clearInterval(this.#pruneTimer)
  }

  #track(dataset: Dataset): void {
    this.#datasets.set(dataset.name, dataset)
    const due = new Map<string, number>()
    for (const release of releases(dataset)) {
      if (release.state === 'scheduled' && typeof release.publishAt === 'string') due.set(release.name, Date.parse(release.publishAt))
    }
    this.#due.set(dataset.name, due)
    dataset.subscribe((event) => {
      let changed = false
      for (const change of event.changes) {
        if (!change.id.startsWith(RELEASE_DOCUMENTS_PREFIX)) continue
        const releaseId = change.id.slice(RELEASE_DOCUMENTS_PREFIX.length)
        const after = change.after
        if (isReleaseDocument(after) && after.state === 'scheduled' && typeof after.publishAt === 'string') due.set(releaseId, Date.parse(after.publishAt))
        else due.delete(releaseId)
        changed = true
      }
      if (changed) this.#arm()
    })
    this.#prune(dataset)
    this.#arm()
  }

  /** Datasets not open yet are looked into read-only; those with a scheduled release are opened (and so tracked). */
  #openDatasetsWithSchedules(): void {
    for (const name of this.#store.datasetNames()) {
      if (this.#datasets.has(name)) continue
      const path = join(this.#store.dir, 'datasets', `${name}.sqlite`)
      if (!existsSync(path) || !hasScheduledRelease(path)) continue
      try {
        this.#store.dataset(name)
      } catch (error) {
        this.#log(`scheduler: could not open dataset ${name}: ${errorMessage(error)}`)
      }
    }
  }

  #arm(): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    let next = Number.POSITIVE_INFINITY
    for (const due of this.#due.values()) for (const at of due.values()) next = Math.min(next, at)
    const wait = Math.max(0, Math.min(MAX_SLEEP_MS, next - this.#now().getTime()))
    this.#timer = setTimeout(() => void this.runDue().finally(() => this.#arm()), wait)
    this.#timer.unref()
  }

  async #publishDue(): Promise<void> {
    const now = this.#now()
    for (const [name, due] of this.#due) {
      const dataset = this.#datasets.get(name)
      if (!dataset) continue
      for (const [releaseId, at] of [...due]) {
        if (at > now.getTime()) continue
        due.delete(releaseId)
        await this.#publish(dataset, releaseId, now)
      }
    }
  }

  async #publish(dataset: Dataset, releaseId: string, now: Date): Promise<void> {
    const id = releaseDocumentId(releaseId)
    // The publish is attributed to whoever scheduled it (the author of the release's current revision).
    const release = dataset.getDocument(id)
    const scheduledBy = release ? dataset.history.transactionById(release._rev)?.author : undefined
    try {
      await dataset.transaction(publishReleaseMutations(dataset, releaseId, now, {scheduled: true}), {identity: scheduledBy ?? LAKE_TOKEN_USER_ID})
      this.#log(`scheduler: published release ${releaseId} in dataset ${dataset.name}`)
    } catch (error) {
      if (this.#stopped || isClosed(error)) return
      this.#log(`scheduler: publishing release ${releaseId} in dataset ${dataset.name} failed: ${errorMessage(error)}`)
      // The release goes back to active with the reason, rather than being retried forever.
      const current = dataset.getDocument(id)
      if (!isReleaseDocument(current) || current.state !== 'scheduled') return
      await dataset
        .transaction([{patch: {id, ifRevisionID: current._rev, set: {state: 'active', error: {message: `Scheduled publish failed: ${errorMessage(error)}`}}}}], {identity: scheduledBy ?? LAKE_TOKEN_USER_ID})
        .catch((patchError: unknown) => this.#log(`scheduler: could not mark release ${releaseId} as failed: ${errorMessage(patchError)}`))
    }
  }

  #pruneAll(): void {
    for (const dataset of this.#datasets.values()) this.#prune(dataset)
  }

  #prune(dataset: Dataset): void {
    if (this.#retentionDays <= 0) return
    try {
      const cutoff = new Date(this.#now().getTime() - this.#retentionDays * DAY_MS).toISOString()
      const removed = dataset.history.prune(cutoff)
      if (removed > 0) this.#log(`history: forgot ${removed} transactions of dataset ${dataset.name} older than ${this.#retentionDays} days`)
    } catch (error) {
      if (!isClosed(error)) this.#log(`history: pruning dataset ${dataset.name} failed: ${errorMessage(error)}`)
    }
  }
}

function isClosed(error: unknown): boolean {
  return /closed|not open/i.test(errorMessage(error))
}

/** Whether the dataset file at `path` holds a scheduled release, read without opening the dataset. */
function hasScheduledRelease(path: string): boolean {
  try {
    return readWithPrefix(path, RELEASE_DOCUMENTS_PREFIX).some((doc) => isReleaseDocument(doc) && doc.state === 'scheduled')
  } catch {
    // An older or foreign file: nothing to schedule from it.
    return false
  }
}
