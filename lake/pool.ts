import {createRequire} from 'node:module'
import {pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import {LakeError, timedOut} from './errors'
import {DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_QUERY_TIMEOUT_MS} from './limits'
import type {ChangeMessage, ErrorBody, FromWorker, JobMessage, JobRequest, JobResult, ToWorker} from './protocol'

/**
 * The query workers. GROQ never runs on the main thread, which keeps HTTP, auth, SQLite
 * writes and mutations: each query is a job posted to one of a few `worker_threads`
 * workers, each holding its own in-memory copy of the datasets it was asked about (loaded
 * from SQLite through a read-only connection, then kept current by the change feed of
 * committed transactions). Messages to a worker arrive in order, and a worker's changes are
 * posted ahead of any job it is given, so a query sent after a write's response sees that write.
 * - Change feed: a commit is posted at once only to the worker the next job would go to, which
 *   applies it while the write is answered. The other workers' changes wait in a small backlog
 *   until their next job (or BACKLOG_FLUSH_MS, or the backlog's bound), then go out together: a
 *   write's answer does not compete for two cores with every worker applying it, and a burst
 *   of writes costs an idle worker one wake-up, not one per write.
 *
 * - Budget: every job has a deadline, counted from the moment a worker takes it (a worker's
 *   start-up is not charged; time in the bounded queue is not either). The worker checks it (and a shared cancel flag)
 *   every 16 documents of every `*` scan and gives up; the main thread answers 408 at the
 *   deadline regardless, and a worker that has not let go of the job `graceMs` later is
 *   terminated and replaced (its other jobs run again elsewhere).
 * - Disconnects: a job whose client went away is dropped from the queue or cancelled.
 * - Isolation: jobs go to the responsive worker with the fewest running jobs; a worker
 *   interleaves up to MAX_JOBS_PER_WORKER jobs (long scans yield every few milliseconds), so
 *   one slow query delays nobody. A worker inside a step that cannot yield (parsing a huge
 *   query) gets no new jobs until it is out of it. The queue is bounded; past it requests
 *   get 503 (clients retry).
 */

export interface QueryPoolOptions {
  /** Number of query workers. Default 2. */
  workers?: number
  /** Time budget per job in ms. Default 10 000. */
  queryTimeoutMs?: number
  /** Largest serialized query result in bytes. Default 64 MiB. */
  maxResponseBytes?: number
  /** How long a worker may take to let go of a cancelled job before it is replaced. Default 1000 ms. */
  graceMs?: number
  /** Heap limit of each worker in MiB (its copy of the datasets plus running queries). Default 4096. */
  workerMemoryMb?: number
  log?: (line: string) => void
}

export interface RunOptions {
  /** Aborts the job (the client went away). */
  signal?: AbortSignal
  /** This job's budget in ms, instead of the pool's. */
  timeoutMs?: number
}

const MAX_JOBS_PER_WORKER = 4
const MAX_QUEUED = 512
const MAX_ATTEMPTS = 2
const MAX_START_FAILURES = 3
const RETRY_DISPATCH_MS = 5
/** A worker's unsent changes go out at its next job, or after this long, or past these bounds. */
const BACKLOG_FLUSH_MS = 100
const BACKLOG_MAX_MESSAGES = 64
const BACKLOG_MAX_CHARS = 1 << 20

interface Job {
  id: number
  dataset: string
  path: string
  request: JobRequest
  timeoutMs: number
  deadline: number
  cancel: Int32Array
  attempts: number
  settled: boolean
  slot: Slot | undefined
  resolve(result: JobResult): void
  reject(error: unknown): void
  timer: NodeJS.Timeout | undefined
  cleanup: () => void
}

interface Slot {
  worker: Worker
  active: Map<number, Job>
  alive: boolean
  /** The worker has loaded its code (its start-up time is not charged to any query). */
  ready: boolean
  /** Jobs given up on that the worker has not let go of yet: no new work goes there meanwhile. */
  abandoned: number
  /** When the worker last showed signs of life (written by the worker: job start/end, every scan checkpoint). */
  heartbeat: Float64Array
  /** Change-feed messages not yet posted, in order (see `publish`). */
  backlog: ToWorker[]
  backlogChars: number
}

/** A worker with running jobs that has not checked in for this long is busy in one long step (e.g. parsing). */
const BLOCKED_AFTER_MS = 25

function isBlocked(slot: Slot, now: number): boolean {
  const heartbeat = slot.heartbeat[0] ?? 0
  // A negative heartbeat: the worker is inside a step that cannot yield (parsing a query).
  return slot.active.size > 0 && (heartbeat < 0 || now - heartbeat > BLOCKED_AFTER_MS)
}

function spawnWorker(workerData: Record<string, unknown>, memoryMb: number): Worker {
  const here = import.meta.url
  // A query that builds enormous results ends its worker (ERR_WORKER_OUT_OF_MEMORY), not the process.
  const options = {workerData, resourceLimits: {maxOldGenerationSizeMb: memoryMb}}
  if (here.endsWith('.ts')) {
    const entry = new URL('./query-worker.ts', here).href
    let tsx: string | undefined
    try {
      tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api')).href
    } catch {
      // No tsx: whatever loader runs this file's process (inherited through execArgv) loads the worker too.
    }
    if (tsx) {
      // Running from TypeScript sources (tsx, vitest): the worker registers tsx itself, so it
      // works whether or not the parent process was started through tsx.
      const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`
      return new Worker(code, {...options, eval: true})
    }
    return new Worker(new URL(entry), options)
  }
  return new Worker(new URL('./query-worker.js', here), options)
}

export class QueryPool {
  readonly workers: number
  readonly queryTimeoutMs: number
  readonly maxResponseBytes: number
  readonly #graceMs: number
  readonly #workerMemoryMb: number
  readonly #log: (line: string) => void
  readonly #slots: (Slot | undefined)[]
  readonly #queue: Job[] = []
  #nextId = 1
  #closed = false
  /** Workers that died before they were ready, in a row: past MAX_START_FAILURES the queue is failed instead of retried for ever. */
  #startFailures = 0
  #retry: NodeJS.Timeout | undefined
  #flushTimer: NodeJS.Timeout | undefined

  constructor(options: QueryPoolOptions = {}) {
    this.workers = Math.max(1, Math.floor(options.workers ?? 2))
    this.queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this.#graceMs = options.graceMs ?? 1000
    this.#workerMemoryMb = options.workerMemoryMb ?? 4096
    this.#log = options.log ?? (() => {})
    this.#slots = Array.from({length: this.workers}, () => undefined)
  }

  /** Runs a job on a worker within the time budget. */
  run(dataset: string, path: string, request: JobRequest, options: RunOptions = {}): Promise<JobResult> {
    if (this.#closed) return Promise.reject(new LakeError(503, 'unavailable', 'The lake is shutting down'))
    if (options.signal?.aborted) return Promise.reject(cancelled())
    if (this.#queue.length >= MAX_QUEUED) {
      return Promise.reject(new LakeError(503, 'queryQueueFull', `The lake has ${MAX_QUEUED} queries waiting already; try again in a moment`))
    }
    const timeoutMs = options.timeoutMs ?? this.queryTimeoutMs
    return new Promise<JobResult>((resolve, reject) => {
      const job: Job = {
        id: this.#nextId++,
        dataset,
        path,
        request,
        timeoutMs,
        deadline: 0,
        cancel: new Int32Array(new SharedArrayBuffer(4)),
        attempts: 0,
        settled: false,
        slot: undefined,
        resolve,
        reject,
        timer: undefined,
        cleanup: () => {},
      }
      const signal = options.signal
      if (signal) {
        const onAbort = () => this.#abandon(job, cancelled())
        signal.addEventListener('abort', onAbort, {once: true})
        job.cleanup = () => signal.removeEventListener('abort', onAbort)
      }
      this.#queue.push(job)
      this.#dispatch()
    })
  }

  /** Starts the workers ahead of the first query. */
  warm(): void {
    if (this.#closed) return
    for (let index = 0; index < this.#slots.length; index++) {
      if (!this.#slots[index]?.alive) this.#slots[index] = this.#start(index)
    }
  }

  /**
   * Queues a committed transaction for every worker, in commit order, before the write is
   * answered: it reaches a worker ahead of that worker's next job (see `#flush`), and the
   * worker the next job would go to gets it now.
   */
  publish(change: Omit<ChangeMessage, 'type'>): void {
    const message: ChangeMessage = {type: 'change', ...change}
    const next = this.#freeSlot(false)
    let waiting = false
    for (const slot of this.#slots) {
      if (!slot?.alive) continue
      slot.backlog.push(message)
      slot.backlogChars += message.writes.length
      if (slot === next || slot.backlog.length >= BACKLOG_MAX_MESSAGES || slot.backlogChars >= BACKLOG_MAX_CHARS) this.#flush(slot)
      else waiting = true
    }
    if (waiting && !this.#flushTimer) {
      // Idle workers catch up a little later, so a later query does not carry a long backlog.
      this.#flushTimer = setTimeout(() => {
        this.#flushTimer = undefined
        for (const slot of this.#slots) if (slot?.alive) this.#flush(slot)
      }, BACKLOG_FLUSH_MS)
      this.#flushTimer.unref()
    }
  }

  /** Drops a dataset's copies (it was closed or replaced). */
  forget(dataset: string): void {
    for (const slot of this.#slots) {
      if (!slot?.alive) continue
      slot.backlog.push({type: 'forget', dataset})
      this.#flush(slot)
    }
  }

  /** Posts a worker's waiting changes (messages to a worker arrive in the order they were posted). */
  #flush(slot: Slot): void {
    if (slot.backlog.length === 0) return
    for (const message of slot.backlog) slot.worker.postMessage(message)
    slot.backlog = []
    slot.backlogChars = 0
  }

  /** Jobs running or waiting, and change-feed messages not yet posted to the busiest backlog (for tests and diagnostics). */
  get load(): {running: number; queued: number; workers: number; backlog: number} {
    let running = 0
    let workers = 0
    let backlog = 0
    for (const slot of this.#slots) {
      if (!slot?.alive) continue
      workers++
      running += slot.active.size
      backlog = Math.max(backlog, slot.backlog.length)
    }
    return {running, queued: this.#queue.length, workers, backlog}
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#retry) clearTimeout(this.#retry)
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    for (const job of this.#queue.splice(0)) this.#settle(job, new LakeError(503, 'unavailable', 'The lake is shutting down'))
    const exits: Promise<unknown>[] = []
    for (const [index, slot] of this.#slots.entries()) {
      if (!slot) continue
      slot.alive = false
      const busy = slot.active.size > 0
      for (const job of slot.active.values()) this.#settle(job, new LakeError(503, 'unavailable', 'The lake is shutting down'))
      slot.active.clear()
      exits.push(busy ? slot.worker.terminate() : this.#release(slot.worker))
      this.#slots[index] = undefined
    }
    await Promise.all(exits)
  }

  /**
   * Ends an idle worker by letting its thread run out of work. terminate() stops a thread
   * wherever it is, and Node 24 sometimes aborts the whole process when that lands while the
   * worker is still busy in its own runtime after a job (V8 "Check failed: (location_) !=
   * nullptr" at exit, about 1 in 20 runs on a loaded machine); terminate() stays the answer
   * for a worker that does not end within `graceMs`.
   */
  #release(worker: Worker): Promise<unknown> {
    const exited = new Promise((resolveExit) => worker.once('exit', resolveExit))
    worker.postMessage({type: 'close'} satisfies ToWorker)
    const timer = setTimeout(() => void worker.terminate(), this.#graceMs)
    return exited.finally(() => clearTimeout(timer))
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const slot = this.#freeSlot()
      if (!slot) {
        // A blocked worker sends no message when it comes free: look again shortly.
        this.#retry ??= setTimeout(() => {
          this.#retry = undefined
          this.#dispatch()
        }, RETRY_DISPATCH_MS)
        return
      }
      const job = this.#queue.shift()
      if (!job) return
      if (job.settled) continue
      job.slot = slot
      job.attempts++
      // The budget runs from the moment a worker takes the job.
      job.deadline = Date.now() + job.timeoutMs
      if (job.timer) clearTimeout(job.timer)
      job.timer = setTimeout(() => this.#abandon(job, timedOut(job.timeoutMs)), job.timeoutMs)
      slot.active.set(job.id, job)
      // Counts as a sign of life until the worker picks the job up.
      if (slot.active.size === 1) slot.heartbeat[0] = Date.now()
      slot.worker.ref()
      const message: JobMessage = {
        type: 'job',
        id: job.id,
        dataset: job.dataset,
        path: job.path,
        deadline: job.deadline,
        timeoutMs: job.timeoutMs,
        cancel: job.cancel,
        request: job.request,
      }
      this.#flush(slot)
      slot.worker.postMessage(message satisfies ToWorker)
    }
  }

  /**
   * The live worker to take the next job: a responsive one (its jobs interleave) with the
   * fewest running jobs, starting workers for empty places (unless `start` is false). None
   * while every worker is busy in a step that cannot yield: the job waits here for the first
   * to come free rather than behind one of them.
   */
  #freeSlot(start = true): Slot | undefined {
    const now = Date.now()
    let best: Slot | undefined
    for (let index = 0; index < this.#slots.length; index++) {
      let slot = this.#slots[index]
      if (!slot?.alive) {
        if (!start) continue
        slot = this.#start(index)
        this.#slots[index] = slot
      }
      if (!slot.ready || slot.active.size >= MAX_JOBS_PER_WORKER || slot.abandoned > 0 || isBlocked(slot, now)) continue
      if (!best || slot.active.size < best.active.size) best = slot
      if (best.active.size === 0) break
    }
    return best
  }

  #start(index: number): Slot {
    const heartbeat = new Float64Array(new SharedArrayBuffer(8))
    const worker = spawnWorker({maxResponseBytes: this.maxResponseBytes, heartbeat}, this.#workerMemoryMb)
    const slot: Slot = {worker, active: new Map(), alive: true, ready: false, abandoned: 0, heartbeat, backlog: [], backlogChars: 0}
    worker.unref()
    worker.on('message', (message: FromWorker) => this.#onMessage(slot, message))
    worker.on('error', (error) => {
      this.#log(`lake: query worker ${index} failed: ${error.message}`)
      this.#lost(slot, error.message)
    })
    worker.on('exit', (code) => {
      if (slot.alive) this.#lost(slot, `exited with code ${code}`)
    })
    return slot
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === 'ready') {
      slot.ready = true
      this.#startFailures = 0
      this.#dispatch()
      return
    }
    const job = slot.active.get(message.id)
    if (!job) return
    slot.active.delete(message.id)
    if (job.settled) slot.abandoned--
    if (slot.active.size === 0) slot.worker.unref()
    if (message.type === 'done') this.#settle(job, undefined, message.result)
    else this.#settle(job, errorFrom(message.error))
    this.#dispatch()
  }

  /** A worker died (crash, out of memory) or was terminated: its unfinished jobs run again elsewhere once. */
  #lost(slot: Slot, reason: string): void {
    if (!slot.alive) return
    slot.alive = false
    const index = this.#slots.indexOf(slot)
    if (index >= 0) this.#slots[index] = undefined
    const retry: Job[] = []
    for (const job of slot.active.values()) {
      if (job.settled) continue
      if (job.attempts < MAX_ATTEMPTS) retry.push(job)
      else this.#settle(job, new LakeError(400, 'queryExecutionError', `The query could not be evaluated: its worker stopped (${reason})`))
    }
    slot.active.clear()
    this.#queue.unshift(...retry)
    if (!slot.ready && ++this.#startFailures >= MAX_START_FAILURES) {
      this.#startFailures = 0
      this.#log(`lake: query workers do not start (${reason})`)
      for (const job of this.#queue.splice(0)) this.#settle(job, new LakeError(500, 'queryWorkerUnavailable', `The lake's query workers could not start: ${reason}`))
      return
    }
    if (!this.#closed) this.#dispatch()
  }

  /** Ends a job early (budget spent or client gone); the worker gets `graceMs` to let go of it. */
  #abandon(job: Job, error: LakeError): void {
    if (job.settled) return
    Atomics.store(job.cancel, 0, 1)
    const slot = job.slot
    this.#settle(job, error)
    if (!slot?.active.has(job.id)) {
      const at = this.#queue.indexOf(job)
      if (at >= 0) this.#queue.splice(at, 1)
      return
    }
    slot.abandoned++
    const timer = setTimeout(() => {
      if (slot.alive && slot.active.has(job.id)) {
        this.#log(`lake: query worker did not stop a ${error.type === 'queryTimeout' ? 'timed-out' : 'cancelled'} query within ${this.#graceMs} ms; replacing it`)
        const {worker} = slot
        this.#lost(slot, 'replaced after a query overran its budget')
        void worker.terminate()
      }
    }, this.#graceMs)
    timer.unref()
  }

  #settle(job: Job, error: unknown, result?: JobResult): void {
    if (job.settled) return
    job.settled = true
    if (job.timer) clearTimeout(job.timer)
    job.cleanup()
    if (error !== undefined || result === undefined) job.reject(error ?? new Error('query job ended without a result'))
    else job.resolve(result)
  }
}


function cancelled(): LakeError {
  return new LakeError(499, 'queryCancelled', 'The query was cancelled because its client went away')
}

function errorFrom(body: ErrorBody): LakeError {
  return new LakeError(body.statusCode, body.type, body.description, body.details)
}
