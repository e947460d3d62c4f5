/**
 * `npm run bench:lake [-- --sizes 1000,10000,100000]`: the package's page queries on a generated
 * site (lake/bench-site.ts) at each size, in the published and drafts perspectives, four ways:
 * through HTTP (@sanity/client against startLake), in process (Dataset#query: the lake's query
 * workers without HTTP), plain groq-js over the same documents with an O(1) `dereference` map, and
 * plain groq-js as it comes. Then a one-document patch followed by the next page query (over HTTP, in
 * process, and over HTTP to a server that replays the lake's answers: the client and HTTP alone), the import
 * of the site in one transaction, and resident memory: of the lake alone (scripts/lake.ts on the same
 * folder in its own process, after every page query) and of this process. Prints markdown tables and the
 * issue's targets as PASS/FAIL lines, and writes every figure to a JSON file so runs compare.
 */
import {execFileSync, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {cpus, loadavg, tmpdir} from 'node:os'
import {dirname, join, relative, resolve} from 'node:path'
import {parseArgs} from 'node:util'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

import {createClient, type SanityClient} from '@sanity/client'
import {evaluate, parse} from 'groq-js'

import {LakeStore, startLake, type Dataset, type LakeDocument} from '../lake'
import {generateSite, MIN_SITE_SIZE, type SiteCounts, type SiteSamples} from '../lake/bench-site'
import {type CliArgs, runIfEntry} from '../lib/cli'
import {apiVersion} from '../lib/env'
import {filmPageQuery, personPageQuery, reviewListQuery, reviewPageQuery, searchQuery} from '../queries'

const ROOT = resolve(import.meta.dirname, '..')
const RESULTS_DIR = join(ROOT, 'bench-results')
const DEFAULT_SIZES = [1_000, 10_000, 100_000]
const MAX_SIZE = 1_000_000

const USAGE = `Usage: npm run bench:lake [-- --sizes 1000,10000,100000] [--seed 1] [--out <file.json>]

Generates a film-review site of each size (10% reviews, 84% comments, films, people, poster
assets, 1% drafts; the same site for the same size and seed), imports it into a throwaway lake in
one transaction and times every exported page query in the published and drafts perspectives:
over HTTP (@sanity/client), in process (the lake's query workers, no HTTP), groq-js with an O(1)
dereference map and plain groq-js, after checking that all four give the same answer. Then a
one-document patch followed by the next page query, and resident memory: of the lake alone
(scripts/lake.ts on the same folder in its own process, after every page query) and of this process.

Options:
  --sizes <list>  Document counts, comma-separated; 1k, 100k and 1M work too (default 1000,10000,100000;
                  at least ${MIN_SITE_SIZE}, at most ${MAX_SIZE})
  --seed <n>      Seed of the generated site (default 1)
  --out <file>    Write the JSON figures there (default bench-results/lake-<time>.json and
                  bench-results/lake-latest.json)
  --help          Show this help

Targets are judged at 100,000 documents (at the largest size when the run has no 100k).
`

interface BenchLakeOptions {
  sizes: number[]
  seed: number
  out: string | undefined
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim())
  const unit = match?.[2]?.toLowerCase() === 'k' ? 1_000 : match?.[2]?.toLowerCase() === 'm' ? 1_000_000 : 1
  const number = match ? Number(match[1]) * unit : Number.NaN
  if (!Number.isInteger(number) || number < MIN_SITE_SIZE || number > MAX_SIZE) {
    throw new Error(`--sizes takes whole numbers from ${MIN_SITE_SIZE} to ${MAX_SIZE} (1k, 100k, 1M work too), comma-separated, e.g. --sizes 1000,10000; "${text}" is not one`)
  }
  return number
}

function parseBenchLakeArgs(argv: readonly string[]): CliArgs<BenchLakeOptions> {
  try {
    const {values} = parseArgs({
      args: [...argv],
      options: {sizes: {type: 'string'}, seed: {type: 'string'}, out: {type: 'string'}, help: {type: 'boolean', short: 'h'}},
      strict: true,
    })
    if (values.help) return {kind: 'help'}
    const sizes = values.sizes === undefined ? DEFAULT_SIZES : values.sizes.split(',').map(parseSize)
    const seed = values.seed === undefined ? 1 : Number(values.seed)
    if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be a whole number, not "${values.seed}"`)
    if (values.out === '') throw new Error('--out needs a file name, e.g. --out bench-results/before.json')
    return {kind: 'run', options: {sizes: [...new Set(sizes)].sort((a, b) => a - b), seed, out: values.out}}
  } catch (error) {
    return {kind: 'error', message: error instanceof Error ? error.message : String(error)}
  }
}

// ---------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------

const DATASET = 'bench'
const PERSPECTIVES = ['published', 'drafts'] as const
type PerspectiveName = (typeof PERSPECTIVES)[number]
const MODES = ['http', 'inProcess', 'groqDeref', 'groqPlain'] as const
type Mode = (typeof MODES)[number]
const MODE_TITLES: Record<Mode, string> = {
  http: 'HTTP',
  inProcess: 'in process (query workers)',
  groqDeref: 'groq-js + deref map',
  groqPlain: 'groq-js plain',
}

/** Timed runs of one mode of one query: at most this many … */
const MAX_RUNS: Record<Mode, number> = {http: 40, inProcess: 40, groqDeref: 20, groqPlain: 20}
/** … and past this much time once MIN_RUNS are done … */
const SOFT_BUDGET_MS = 3_000
const MIN_RUNS = 3
/** … and never past this much (a run that started is finished). */
const HARD_BUDGET_MS = 10_000
/** Runs shorter than this take an untimed warm-up first (JIT, the lake's views and indexes). */
const WARM_UP_BELOW_MS = 200
const PAGE_SIZE = 20
/** Where the deep pages of the review list start, as shares of the list. */
const DEEP_PAGE_AT = [0.5, 0.75, 0.9]
const WRITE_RUNS = 60
const WRITE_VIA_TITLES: Record<WriteVia, string> = {http: 'over HTTP', inProcess: 'in process', replay: 'over HTTP to a replay (no lake)'}
const ROUND_TRIP_RUNS = 60

const TARGETS = {
  atSize: 100_000,
  reviewPageMs: 5,
  reviewPageSpeedup: 100,
  otherPageMs: 10,
  growth: 3,
  draftsRatio: 2,
  writeThenQueryMs: 5,
  importSeconds: 10,
  rssBytes: 1024 ** 3,
}

type Params = Record<string, unknown>
type Doc = Record<string, unknown>

interface QueryCase {
  /** Row label, e.g. `reviewListQuery (deep page)`. */
  name: string
  query: string
  /** Parameter sets the runs cycle through; each exists in the perspective's documents. */
  params: (perspective: PerspectiveName, docs: readonly Doc[]) => Params[]
}

interface ModeFigures {
  medianMs: number
  minMs: number
  maxMs: number
  runs: number
}

interface CellFigures {
  query: string
  perspective: PerspectiveName
  /** The parameter sets the runs cycled through. */
  params: Params[]
  /** Results compared with the HTTP result for the same parameters (all byte-identical, or the run stopped). */
  comparisons: number
  modes: Record<Mode, ModeFigures>
}

interface WriteFigures {
  perspective: PerspectiveName
  /** Through `@sanity/client` over HTTP, or the lake's own calls in process. */
  via: WriteVia
  /** What was patched, e.g. `review-… (rating)` */
  target: string
  runs: number
  patchMedianMs: number
  queryMedianMs: number
  togetherMedianMs: number
  togetherMaxMs: number
}

interface SizeFigures {
  size: number
  counts: SiteCounts
  generateSeconds: number
  /** `Dataset#transaction` of every document as createOrReplace, in one transaction. */
  importSeconds: number
  /** `startLake` on the folder: opening the dataset loads every document from SQLite. */
  openSeconds: number
  /** The first query after start, which loads the dataset into a query worker. */
  firstQueryMs: number
  cells: CellFigures[]
  writes: WriteFigures[]
  /** `client.fetch('1')` timed just before the writes: what one round trip through `@sanity/client` and HTTP costs here, now. */
  roundTrip: {medianMs: number; runs: number}
  memory: {rssBytes: number; heapUsedBytes: number; rssAfterGcBytes: number | undefined}
  /** `npm run lake` on the same folder in its own process, after every page query in both perspectives. */
  lakeAlone: {rssBytes: number; queries: number}
  loadAverage: number[]
}

interface TargetLine {
  pass: boolean
  text: string
  value: number
  limit: number
}

interface BenchReport {
  benchmark: 'lake'
  version: 1
  startedAt: string
  finishedAt: string
  commit: string | undefined
  node: string
  cpus: number
  seed: number
  targetSize: number
  sizes: SizeFigures[]
  targets: TargetLine[]
}

function queryCases(samples: SiteSamples): QueryCase[] {
  const slugs = (list: readonly string[]) => () => list.map((slug) => ({slug}))
  return [
    {name: 'reviewPageQuery', query: reviewPageQuery, params: slugs(samples.reviewSlugs)},
    {name: 'filmPageQuery', query: filmPageQuery, params: slugs(samples.filmSlugs)},
    {name: 'personPageQuery', query: personPageQuery, params: slugs(samples.personSlugs)},
    {name: 'reviewListQuery (first page)', query: reviewListQuery, params: () => [{after: null, limit: PAGE_SIZE}]},
    {
      name: 'reviewListQuery (deep page)',
      query: reviewListQuery,
      params: (_perspective, docs) => {
        // The keyset a reader reaches by paging: the list in the query's order, the item before the page.
        const list = docs
          .filter((doc) => doc._type === 'review' && typeof doc._id === 'string' && !doc._id.includes('.'))
          .map((doc) => ({publishedOn: String(doc.publishedOn), _id: String(doc._id)}))
          .sort((a, b) => compareStrings(b.publishedOn, a.publishedOn) || compareStrings(b._id, a._id))
        return DEEP_PAGE_AT.flatMap((share) => {
          const after = list[Math.floor(list.length * share)]
          return after ? [{after, limit: PAGE_SIZE}] : []
        })
      },
    },
    {name: 'searchQuery', query: searchQuery, params: () => [{term: samples.searchTerm}]},
  ]
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The documents a perspective sees, the way Sanity (and lake/views.ts `PerspectiveRule`) builds them:
 * `published` is every document that is not a draft or a version; `drafts` overlays each
 * `drafts.<id>` on `<id>` (the overlay gets the published `_id`), every document carries
 * `_originalId`, and the result is in `_id` order like `*`.
 */
function perspectiveDocuments(all: readonly LakeDocument[], perspective: PerspectiveName): Doc[] {
  const isDraftOrVersion = (id: string) => id.startsWith('drafts.') || id.startsWith('versions.')
  const published = all.filter((doc) => !isDraftOrVersion(doc._id))
  if (perspective === 'published') return published
  const merged = new Map<string, Doc>()
  for (const doc of published) merged.set(doc._id, {...doc, _originalId: doc._id})
  for (const doc of all) {
    if (!doc._id.startsWith('drafts.')) continue
    const id = doc._id.slice('drafts.'.length)
    merged.set(id, {...doc, _id: id, _originalId: doc._id})
  }
  return [...merged.values()].sort((a, b) => compareStrings(String(a._id), String(b._id)))
}

function byIdMap(docs: readonly Doc[]): Map<string, Doc> {
  const map = new Map<string, Doc>()
  for (const doc of docs) if (typeof doc._id === 'string' && !map.has(doc._id)) map.set(doc._id, doc)
  return map
}

async function groqJs(query: string, params: Params, dataset: readonly Doc[], byId: Map<string, Doc> | undefined): Promise<unknown> {
  const tree = parse(query, {params})
  const value = await evaluate(tree, byId ? {dataset, params, dereference: ({_ref}) => byId.get(_ref)} : {dataset, params})
  return value.get()
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** The first place two JSON values differ, as a path with both sides (for the mismatch report). */
function firstDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const found = firstDifference(a[i], b[i], `${path}[${i}]`)
      if (found) return found
    }
    return `${path}: arrays of ${a.length} and ${b.length} items`
  }
  if (isObject(a) && isObject(b)) {
    const keysA = Object.keys(a)
    const keysB = Object.keys(b)
    for (const key of new Set([...keysA, ...keysB])) {
      const found = firstDifference(a[key], b[key], `${path}.${key}`)
      if (found) return found
    }
    return `${path}: same fields in another order (${keysA.join(', ')} / ${keysB.join(', ')})`
  }
  const show = (value: unknown) => (value === undefined ? '(missing)' : JSON.stringify(value).slice(0, 300))
  return `${path}: ${show(a)} vs ${show(b)}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A main-thread garbage collection, so resident memory is not the garbage of the import. */
function collector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc')
    const gc: unknown = runInNewContext('gc')
    return typeof gc === 'function' ? (gc as () => void) : undefined
  } catch {
    return undefined
  }
}

class Mismatch extends Error {
  override readonly name = 'Mismatch'
}

interface Runner {
  client: Record<PerspectiveName, SanityClient>
  dataset: Dataset
  docs: Record<PerspectiveName, Doc[]>
  byId: Record<PerspectiveName, Map<string, Doc>>
}

function runMode(runner: Runner, mode: Mode, perspective: PerspectiveName, query: string, params: Params): Promise<unknown> {
  switch (mode) {
    case 'http':
      return runner.client[perspective].fetch(query, params)
    case 'inProcess':
      return runner.dataset.query(query, params, perspective)
    case 'groqDeref':
      return groqJs(query, params, runner.docs[perspective], runner.byId[perspective])
    case 'groqPlain':
      return groqJs(query, params, runner.docs[perspective], undefined)
  }
}

/**
 * One query in one perspective. `check()` takes HTTP's answer for every parameter set as the
 * reference and makes groq-js (with the dereference map) answer the first one the same, before
 * anything is timed; `time(mode)` then times a mode, and every result it gets (warm-ups and timed
 * runs alike) must be byte-identical to HTTP's for the same parameters.
 */
class Cell {
  readonly #runner: Runner
  readonly testCase: QueryCase
  readonly perspective: PerspectiveName
  readonly paramSets: Params[]
  readonly #expected = new Map<number, string>()
  #comparisons = 0
  readonly #modes: Partial<Record<Mode, ModeFigures>> = {}

  constructor(runner: Runner, testCase: QueryCase, perspective: PerspectiveName) {
    this.#runner = runner
    this.testCase = testCase
    this.perspective = perspective
    this.paramSets = testCase.params(perspective, runner.docs[perspective])
    if (this.paramSets.length === 0) throw new Error(`${testCase.name} has no parameters in the ${perspective} perspective: the generated site lacks the documents it needs (see lake/bench-site.ts)`)
  }

  #compare(mode: Mode, index: number, result: unknown): void {
    const json = JSON.stringify(result ?? null)
    const reference = this.#expected.get(index)
    if (reference === undefined) {
      if (mode !== 'http') throw new Error(`${MODE_TITLES[mode]} ran before HTTP answered parameter set ${index}`)
      this.#expected.set(index, json)
      return
    }
    this.#comparisons++
    if (json !== reference) {
      const difference = firstDifference(JSON.parse(reference) as unknown, JSON.parse(json) as unknown) ?? 'same value, different JSON text'
      throw new Mismatch(
        `${this.testCase.name}, ${this.perspective} perspective, params ${JSON.stringify(this.paramSets[index])}: ${MODE_TITLES[mode]} differs from HTTP at ${difference}`,
      )
    }
  }

  async #once(mode: Mode, index: number): Promise<number> {
    const started = performance.now()
    const result = await runMode(this.#runner, mode, this.perspective, this.testCase.query, this.paramSets[index] ?? {})
    const elapsed = performance.now() - started
    this.#compare(mode, index, result)
    return elapsed
  }

  async check(): Promise<void> {
    for (let index = 0; index < this.paramSets.length; index++) await this.#once('http', index)
    await this.#once('groqDeref', 0)
  }

  async time(mode: Mode): Promise<ModeFigures> {
    const count = this.paramSets.length
    const times: number[] = []
    // Fast modes warm up on every parameter set (JIT, the lake's views and indexes); a slow first run is timed.
    const first = await this.#once(mode, 0)
    if (first >= WARM_UP_BELOW_MS) times.push(first)
    else for (let index = 1; index < count; index++) await this.#once(mode, index)
    const began = performance.now()
    let next = times.length
    while (times.length < MAX_RUNS[mode]) {
      const elapsed = performance.now() - began
      if (elapsed >= HARD_BUDGET_MS || (elapsed >= SOFT_BUDGET_MS && times.length >= MIN_RUNS)) break
      times.push(await this.#once(mode, next++ % count))
    }
    const figures = {medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), runs: times.length}
    this.#modes[mode] = figures
    return figures
  }

  figures(): CellFigures {
    const modes = {} as Record<Mode, ModeFigures>
    for (const mode of MODES) {
      const figures = this.#modes[mode]
      if (!figures) throw new Error(`${this.testCase.name} (${this.perspective}) was not timed ${MODE_TITLES[mode]}`)
      modes[mode] = figures
    }
    return {query: this.testCase.name, perspective: this.perspective, params: this.paramSets, comparisons: this.#comparisons, modes}
  }
}

/** The cheapest query there is, to show what the client and HTTP alone cost at the moment the writes are timed. */
async function benchRoundTrip(client: SanityClient): Promise<{medianMs: number; runs: number}> {
  const times: number[] = []
  for (let i = -10; i < ROUND_TRIP_RUNS; i++) {
    const started = performance.now()
    await client.fetch('1')
    if (i >= 0) times.push(performance.now() - started)
  }
  return {medianMs: median(times), runs: times.length}
}

/**
 * How a write and the next page query reach the lake: through `@sanity/client` over HTTP, or the
 * lake's own calls (no client, no HTTP); or the same two `@sanity/client` calls to a server that
 * answers at once with the lake's bytes (no lake at all: what the client and HTTP alone cost).
 */
type WriteVia = 'http' | 'inProcess' | 'replay'

interface WriteSteps {
  patch(id: string, rating: number): Promise<unknown>
  page(slug: string): Promise<unknown>
}

function writeSteps(via: WriteVia, runner: Runner, base: SanityClient, perspective: PerspectiveName): WriteSteps {
  if (via === 'inProcess') {
    return {
      patch: (id, rating) => runner.dataset.transaction([{patch: {id, set: {rating}}}]),
      page: (slug) => runner.dataset.query(reviewPageQuery, {slug}, perspective),
    }
  }
  const reader = base.withConfig({perspective})
  return {patch: (id, rating) => base.patch(id).set({rating}).commit(), page: (slug) => reader.fetch(reviewPageQuery, {slug})}
}

/** The ratings the write benchmark sets in turn. */
const WRITE_RATINGS = Array.from({length: 21}, (_, i) => i / 2)

/**
 * A loopback server that answers the write benchmark's patch and page query at once with the bytes
 * the lake answers them with (the patched document, the review page showing the new rating),
 * prepared before it listens: the same pair through it is what `@sanity/client` and HTTP alone
 * cost on this machine, with no lake behind them.
 */
async function startReplay(dataset: Dataset, ids: readonly string[], slugOf: (id: string) => string): Promise<{url: string; close: () => Promise<void>}> {
  const patched = new Map<string, Buffer>()
  const pages = new Map<string, Buffer>()
  for (const id of ids) {
    const doc = dataset.getDocument(id)
    const page: unknown = await dataset.query(reviewPageQuery, {slug: slugOf(id)}, 'published')
    if (!doc || !isObject(page)) throw new Error(`replay: ${id} has no document or no review page`)
    for (const rating of WRITE_RATINGS) {
      const document = {...doc, rating, _rev: 'replayreplayreplay00000', _updatedAt: new Date().toISOString()}
      patched.set(`${id} ${rating}`, Buffer.from(JSON.stringify({transactionId: 'replayreplayreplay00000', results: [{id, operation: 'update', document}], documentIds: [id]})))
      pages.set(`${slugOf(id)} ${rating}`, Buffer.from(`{"result":${JSON.stringify({...page, rating})},"ms":0.5}`))
    }
  }
  const ratingOf = new Map<string, number>()
  const answer = (url: string, body: string): Buffer | undefined => {
    if (url.includes('/data/mutate/')) {
      const parsed: unknown = JSON.parse(body)
      const patch = isObject(parsed) && Array.isArray(parsed.mutations) && isObject(parsed.mutations[0]) ? parsed.mutations[0].patch : undefined
      if (!isObject(patch) || typeof patch.id !== 'string' || !isObject(patch.set) || typeof patch.set.rating !== 'number') return undefined
      ratingOf.set(slugOf(patch.id), patch.set.rating)
      return patched.get(`${patch.id} ${patch.set.rating}`)
    }
    const slug: unknown = JSON.parse(new URL(url, 'http://replay').searchParams.get('$slug') ?? 'null')
    return typeof slug === 'string' ? pages.get(`${slug} ${ratingOf.get(slug) ?? 0}`) : undefined
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      let body: Buffer | undefined
      try {
        body = answer(req.url ?? '/', Buffer.concat(chunks).toString())
      } catch {
        // Not one of the bench's own requests: a 400 like anything else it cannot answer.
      }
      if (!body) {
        res.writeHead(400).end()
        return
      }
      res.writeHead(200, {'content-type': 'application/json; charset=utf-8', 'content-length': body.byteLength, 'cache-control': 'no-store'})
      res.end(body)
    })
  })
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('replay: no port')
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose())
        server.closeAllConnections()
      }),
  }
}

interface WriteLane {
  via: WriteVia
  perspective: PerspectiveName
  steps: WriteSteps
  /** The published ids of the reviews patched in turn (as drafts in the drafts perspective). */
  documentIds: readonly string[]
}

/**
 * One-document patches, each followed by the page query that shows it. Each round runs every
 * lane once, one after another, so the lanes are timed at the same moments and compare: on this
 * machine a minute can be 1.5× slower than the next. Lanes set different ratings, so no write
 * repeats the one before it.
 */
async function benchWrites(lanes: readonly WriteLane[], slugOf: (id: string) => string): Promise<WriteFigures[]> {
  const laps = lanes.map((lane) => ({lane, patch: [] as number[], query: [] as number[], together: [] as number[]}))
  for (let i = -1; i < WRITE_RUNS; i++) {
    for (const [index, {lane, patch, query, together}] of laps.entries()) {
      const {documentIds, perspective, steps} = lane
      const id = documentIds[(i + documentIds.length) % documentIds.length]
      if (!id) throw new Error('no document to patch')
      const rating = WRITE_RATINGS[(i + 1 + 7 * index) % WRITE_RATINGS.length] ?? 0
      const target = perspective === 'drafts' ? `drafts.${id}` : id
      const started = performance.now()
      await steps.patch(target, rating)
      const patched = performance.now()
      const page: unknown = await steps.page(slugOf(id))
      const done = performance.now()
      if (!isObject(page) || page.rating !== rating) {
        throw new Error(`After patching ${target} (rating ${rating}) ${WRITE_VIA_TITLES[lane.via]} the ${perspective} review page shows ${isObject(page) ? String(page.rating) : 'no review'}: the lake did not read its own write`)
      }
      // The first round is a warm-up.
      if (i < 0) continue
      patch.push(patched - started)
      query.push(done - patched)
      together.push(done - started)
    }
  }
  return laps.map(({lane: {via, perspective, documentIds}, patch, query, together}) => ({
    perspective,
    via,
    target: `${perspective === 'drafts' ? 'drafts.' : ''}review-… (rating), ${documentIds.length} reviews in turn`,
    runs: together.length,
    patchMedianMs: median(patch),
    queryMedianMs: median(query),
    togetherMedianMs: median(together),
    togetherMaxMs: Math.max(...together),
  }))
}

/** Resident memory of a process, from the kernel (Linux /proc, else ps). */
function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    if (match?.[1]) return Number(match[1]) * 1024
  } catch {
    // Not Linux: ask ps.
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], {encoding: 'utf8'}).trim()) * 1024
}

/**
 * The lake's own resident memory: `scripts/lake.ts` (what `npm run lake` runs) on the bench's
 * folder in a process of its own, so neither the import's high-water mark nor the bench's
 * groq-js copies count, after every page query in both perspectives has built its views and
 * indexes in every query worker.
 */
async function measureLakeAlone(dir: string, samples: SiteSamples, docs: Record<PerspectiveName, Doc[]>): Promise<{rssBytes: number; queries: number}> {
  const token = 'bench-lake-alone'
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'lake.ts'), '--port', '0', '--dir', dir], {
    cwd: ROOT,
    env: {...process.env, SANITY_API_WRITE_TOKEN: token},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      let stdout = ''
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const match = /lake listening on (\S+)/.exec(stdout)
        if (match?.[1]) resolveUrl(match[1])
      })
      child.on('exit', (code) => reject(new Error(`scripts/lake.ts exited (${code}) before listening: ${stderr.trim()}`)))
    })
    const base = createClient({projectId: 'local', dataset: DATASET, apiHost: url, useProjectHostname: false, apiVersion, token, useCdn: false})
    let queries = 0
    // Every query of every case, more times than there are workers, so each worker builds what it needs.
    for (let round = 0; round < 2 * Math.max(2, cpus().length); round++) {
      for (const perspective of PERSPECTIVES) {
        const client = base.withConfig({perspective})
        for (const testCase of queryCases(samples)) {
          for (const params of testCase.params(perspective, docs[perspective]).slice(0, 3)) {
            await client.fetch(testCase.query, params)
            queries++
          }
        }
      }
    }
    if (child.pid === undefined) throw new Error('scripts/lake.ts has no process id')
    return {rssBytes: residentBytes(child.pid), queries}
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolveExit) => child.once('exit', resolveExit))
      child.kill('SIGTERM')
      await exited
    }
  }
}

/** Generates the site and imports it in one transaction; the generated documents are garbage once this returns. */
async function importSite(dir: string, size: number, seed: number): Promise<{counts: SiteCounts; samples: SiteSamples; generateSeconds: number; importSeconds: number}> {
  const generated = performance.now()
  const site = generateSite(size, seed)
  const generateSeconds = (performance.now() - generated) / 1000
  const store = new LakeStore(dir)
  try {
    const started = performance.now()
    await store.dataset(DATASET).transaction(site.documents.map((doc) => ({createOrReplace: doc})))
    return {counts: site.counts, samples: site.samples, generateSeconds, importSeconds: (performance.now() - started) / 1000}
  } finally {
    await store.close()
    // Closing checkpoints hundreds of MB into the database file; let the kernel write it out now
    // rather than while the first queries are timed (the write-back competes for both cores).
    try {
      execFileSync('sync')
    } catch {
      // No sync command: the first timings may be noisier.
    }
  }
}

async function benchSize(size: number, seed: number, gc: (() => void) | undefined, log: (line: string) => void): Promise<SizeFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-lake-'))
  try {
    log(`${size.toLocaleString('en-US')} documents: generating and importing in one transaction …`)
    const {counts, samples, generateSeconds, importSeconds} = await importSite(dir, size, seed)
    gc?.()
    const opened = performance.now()
    const lake = await startLake({port: 0, dir, token: 'bench'})
    const openSeconds = (performance.now() - opened) / 1000
    let measured: Omit<SizeFigures, 'lakeAlone'>
    let measuredDocs: Record<PerspectiveName, Doc[]>
    try {
      const base = createClient({projectId: 'local', dataset: DATASET, apiHost: lake.url, useProjectHostname: false, apiVersion, token: lake.token, useCdn: false})
      const client = {published: base.withConfig({perspective: 'published'}), drafts: base.withConfig({perspective: 'drafts'})}
      const dataset = lake.store.dataset(DATASET)
      const firstStarted = performance.now()
      await client.published.fetch(reviewPageQuery, {slug: samples.reviewSlugs[0] ?? ''})
      const firstQueryMs = performance.now() - firstStarted

      const stored = dataset.documents()
      const docs = {published: perspectiveDocuments(stored, 'published'), drafts: perspectiveDocuments(stored, 'drafts')}
      const runner: Runner = {client, dataset, docs, byId: {published: byIdMap(docs.published), drafts: byIdMap(docs.drafts)}}
      log(`  imported in ${importSeconds.toFixed(1)} s, opened in ${openSeconds.toFixed(1)} s, first query ${ms(firstQueryMs)} ms, resident ${mib(process.memoryUsage().rss)}`)
      const cells = queryCases(samples).flatMap((testCase) => PERSPECTIVES.map((perspective) => new Cell(runner, testCase, perspective)))
      log('  checking that HTTP and groq-js give the same answers …')
      for (const cell of cells) await cell.check()
      // One untimed pass first: the first cell timed after an import was bimodal in three runs (7 ms
      // against 1.5 to 3 ms a cell later) while the query workers' collectors worked through the
      // dataset they had just loaded and indexed.
      for (const cell of cells) await cell.time('http')
      // The lake first, so resident memory is measured before groq-js fills this thread's heap.
      for (const cell of cells) {
        const http = await cell.time('http')
        const inProcess = await cell.time('inProcess')
        log(`  ${cell.testCase.name}, ${cell.perspective}: HTTP ${ms(http.medianMs)} ms, in process ${ms(inProcess.medianMs)} ms`)
      }
      // Writes next, still before groq-js: after minutes of groq-js building and dropping copies of
      // the dataset on this thread, the same write measured 1.5× slower (10.3 against 6.6 ms in one
      // run), which says something about this process, not about the lake.
      log('  timing a patch followed by the next page query …')
      const reviews = docs.drafts.filter((doc) => doc._type === 'review' && isObject(doc.slug))
      const slugById = new Map(reviews.map((doc) => [String(doc._id), String(isObject(doc.slug) ? doc.slug.current : '')]))
      const idBySlug = new Map([...slugById].map(([id, slug]) => [slug, id]))
      const slugOf = (id: string) => slugById.get(id) ?? ''
      const drafted = samples.draftedReviewIds.slice(0, 5)
      const published = samples.reviewSlugs.slice(0, 5).flatMap((slug) => idBySlug.get(slug) ?? [])
      const roundTrip = await benchRoundTrip(client.published)
      const replay = await startReplay(dataset, published, slugOf)
      let writes: WriteFigures[]
      try {
        const lane = (via: WriteVia, perspective: PerspectiveName, client = base): WriteLane => ({
          via,
          perspective,
          steps: writeSteps(via, runner, client, perspective),
          documentIds: perspective === 'drafts' ? drafted : published,
        })
        writes = await benchWrites(
          [lane('http', 'published'), lane('http', 'drafts'), lane('inProcess', 'published'), lane('inProcess', 'drafts'), lane('replay', 'published', base.withConfig({apiHost: replay.url}))],
          slugOf,
        )
      } finally {
        await replay.close()
      }
      log(`  patch + next page: ${writes.map((write) => `${write.perspective} ${WRITE_VIA_TITLES[write.via]} ${ms(write.togetherMedianMs)} ms`).join(', ')} (a bare round trip, client.fetch('1'): ${ms(roundTrip.medianMs)} ms)`)
      const usage = process.memoryUsage()
      gc?.()
      const rssAfterGcBytes = gc ? process.memoryUsage().rss : undefined
      log(`  resident ${mib(usage.rss)} after load and queries (${rssAfterGcBytes === undefined ? 'no GC available' : `${mib(rssAfterGcBytes)} after a GC`}); timing groq-js …`)
      for (const cell of cells) {
        const deref = await cell.time('groqDeref')
        const plain = await cell.time('groqPlain')
        log(`  ${cell.testCase.name}, ${cell.perspective}: groq-js with the dereference map ${ms(deref.medianMs)} ms (${deref.runs} runs), plain ${ms(plain.medianMs)} ms (${plain.runs} runs)`)
      }

      measured = {
        size,
        counts,
        generateSeconds,
        importSeconds,
        openSeconds,
        firstQueryMs,
        cells: cells.map((cell) => cell.figures()),
        writes,
        roundTrip,
        memory: {rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, rssAfterGcBytes},
        loadAverage: loadavg(),
      }
      measuredDocs = docs
    } finally {
      await lake.close()
    }
    // The folder is free again (one lake per folder): the lake alone, in its own process.
    log('  resident memory of the lake alone (scripts/lake.ts in its own process) …')
    const lakeAlone = await measureLakeAlone(dir, samples, measuredDocs)
    log(`  the lake alone: ${mib(lakeAlone.rssBytes)} resident after ${lakeAlone.queries} page queries`)
    return {...measured, lakeAlone}
  } finally {
    rmSync(dir, {recursive: true, force: true})
    gc?.()
  }
}

// ---------------------------------------------------------------------------
// Targets and output
// ---------------------------------------------------------------------------

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value < 1000 ? value.toFixed(1) : value.toFixed(0)
}

function times(value: number): string {
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)}×`
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MiB`
}

function cellOf(figures: SizeFigures, query: string, perspective: PerspectiveName): CellFigures | undefined {
  return figures.cells.find((cell) => cell.query === query && cell.perspective === perspective)
}

function judge(sizes: readonly SizeFigures[]): {targetSize: number; lines: TargetLine[]} {
  const at = sizes.find((figures) => figures.size === TARGETS.atSize) ?? sizes.filter((figures) => figures.size < TARGETS.atSize).at(-1) ?? sizes[0]
  if (!at) return {targetSize: TARGETS.atSize, lines: []}
  const smallest = sizes[0]
  const lines: TargetLine[] = []
  const line = (value: number, limit: number, text: string, atLeast = false) => lines.push({pass: atLeast ? value >= limit : value <= limit, text, value, limit})
  const n = at.size.toLocaleString('en-US')

  const reviewPage = cellOf(at, 'reviewPageQuery', 'published')
  if (reviewPage) {
    const {http, groqDeref, groqPlain} = reviewPage.modes
    line(http.medianMs, TARGETS.reviewPageMs, `reviewPageQuery over HTTP (published) at ${n}: ${ms(http.medianMs)} ms ≤ ${TARGETS.reviewPageMs} ms`)
    line(groqDeref.medianMs / http.medianMs, TARGETS.reviewPageSpeedup, `reviewPageQuery over HTTP vs groq-js with a dereference map at ${n}: ${times(groqDeref.medianMs / http.medianMs)} faster ≥ ${TARGETS.reviewPageSpeedup}× (plain groq-js: ${times(groqPlain.medianMs / http.medianMs)})`, true)
  }
  for (const cell of at.cells) {
    if (cell.perspective !== 'published' || cell.query === 'reviewPageQuery') continue
    line(cell.modes.http.medianMs, TARGETS.otherPageMs, `${cell.query} over HTTP (published) at ${n}: ${ms(cell.modes.http.medianMs)} ms ≤ ${TARGETS.otherPageMs} ms`)
  }
  if (smallest && smallest.size < at.size) {
    for (const cell of at.cells) {
      if (cell.perspective !== 'published') continue
      const before = cellOf(smallest, cell.query, cell.perspective)
      if (!before) continue
      const growth = cell.modes.http.medianMs / before.modes.http.medianMs
      line(growth, TARGETS.growth, `growth of ${cell.query} over HTTP from ${smallest.size.toLocaleString('en-US')} to ${n}: ${ms(before.modes.http.medianMs)} → ${ms(cell.modes.http.medianMs)} ms, ${times(growth)} ≤ ${TARGETS.growth}×`)
    }
  }
  for (const cell of at.cells) {
    if (cell.perspective !== 'drafts') continue
    const published = cellOf(at, cell.query, 'published')
    if (!published) continue
    const ratio = cell.modes.http.medianMs / published.modes.http.medianMs
    line(ratio, TARGETS.draftsRatio, `${cell.query} over HTTP, drafts vs published at ${n}: ${ms(cell.modes.http.medianMs)} vs ${ms(published.modes.http.medianMs)} ms, ${times(ratio)} ≤ ${TARGETS.draftsRatio}×`)
  }
  const writeVia = (via: WriteVia) => at.writes.find((figures) => figures.perspective === 'published' && figures.via === via)
  const write = writeVia('http')
  if (write) {
    const others = (['replay', 'inProcess'] as const).flatMap((via) => {
      const figures = writeVia(via)
      return figures ? [`${WRITE_VIA_TITLES[via]} ${ms(figures.togetherMedianMs)} ms`] : []
    })
    line(write.togetherMedianMs, TARGETS.writeThenQueryMs, `patch + next reviewPageQuery over HTTP (published) at ${n}: ${ms(write.togetherMedianMs)} ms ≤ ${TARGETS.writeThenQueryMs} ms${others.length ? ` (the same pair ${others.join(', ')})` : ''}`)
  }
  line(at.importSeconds, TARGETS.importSeconds, `import of ${n} documents in one transaction: ${at.importSeconds.toFixed(1)} s ≤ ${TARGETS.importSeconds} s`)
  line(at.lakeAlone.rssBytes, TARGETS.rssBytes, `resident memory of the lake at ${n} after every page query in both perspectives: ${mib(at.lakeAlone.rssBytes)} ≤ ${mib(TARGETS.rssBytes)}`)
  return {targetSize: at.size, lines}
}

function render(report: BenchReport): string {
  const out: string[] = []
  for (const figures of report.sizes) {
    const c = figures.counts
    out.push(`## ${figures.size.toLocaleString('en-US')} documents`, '')
    out.push(
      `${c.reviews} reviews, ${c.comments} comments (${c.approvedComments} approved, ${c.replies} replies), ${c.films} films, ${c.people} people, ${c.assets} poster assets, ${c.drafts} drafts (${c.draftOnlyReviews} reviews only as drafts); load average ${figures.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
      '',
    )
    out.push('Median ms per query (runs in brackets); speed-up = groq-js time / HTTP time.', '')
    out.push('| query | perspective | HTTP | in process (query workers, no HTTP) | groq-js + deref map | groq-js plain | speed-up (deref) | speed-up (plain) |')
    out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const cell of figures.cells) {
      const m = cell.modes
      const fmt = (mode: Mode) => `${ms(m[mode].medianMs)} (${m[mode].runs})`
      out.push(
        `| ${cell.query} | ${cell.perspective} | ${fmt('http')} | ${fmt('inProcess')} | ${fmt('groqDeref')} | ${fmt('groqPlain')} | ${times(m.groqDeref.medianMs / m.http.medianMs)} | ${times(m.groqPlain.medianMs / m.http.medianMs)} |`,
      )
    }
    out.push('')
    out.push('| write | perspective | via | patch | next reviewPageQuery | together (median) | together (max) | runs |')
    out.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |')
    for (const write of figures.writes) {
      out.push(
        `| one-document patch | ${write.perspective} | ${WRITE_VIA_TITLES[write.via]} | ${ms(write.patchMedianMs)} | ${ms(write.queryMedianMs)} | ${ms(write.togetherMedianMs)} | ${ms(write.togetherMaxMs)} | ${write.runs} |`,
      )
    }
    out.push('', `A bare round trip (\`client.fetch('1')\`, timed just before the writes) took ${ms(figures.roundTrip.medianMs)} ms (median of ${figures.roundTrip.runs}): a patch and a query are two of them before the lake does any work.`)
    out.push('')
    const memory = figures.memory
    out.push(
      `Import in one transaction ${figures.importSeconds.toFixed(2)} s (generating ${figures.generateSeconds.toFixed(2)} s), open (startLake loads the dataset) ${figures.openSeconds.toFixed(2)} s, first query ${ms(figures.firstQueryMs)} ms (a query worker loads the dataset).`,
      `Resident memory of the lake alone (\`scripts/lake.ts\` on this folder in its own process, its main thread and query workers, after ${figures.lakeAlone.queries} page queries in both perspectives) ${mib(figures.lakeAlone.rssBytes)}.`,
      `Resident memory of the bench process after load and queries ${mib(memory.rssBytes)} (main-thread heap ${mib(memory.heapUsedBytes)}${memory.rssAfterGcBytes === undefined ? '' : `; ${mib(memory.rssAfterGcBytes)} after a main-thread GC`}): the in-process lake with its query workers, plus the bench's groq-js views and what the import in this process left resident.`,
      '',
    )
  }
  const comparisons = report.sizes.reduce((sum, figures) => sum + figures.cells.reduce((cells, cell) => cells + cell.comparisons, 0), 0)
  out.push(`All ${comparisons} compared results were byte-identical to the HTTP result for the same parameters.`, '')
  const targetNote = report.targetSize === TARGETS.atSize ? '' : ` (this run has no ${TARGETS.atSize.toLocaleString('en-US')}: judged at ${report.targetSize.toLocaleString('en-US')}, which says little about the targets)`
  out.push(`## Targets${targetNote}`, '')
  for (const line of report.targets) out.push(`${line.pass ? 'PASS' : 'FAIL'}  ${line.text}`)
  const failed = report.targets.filter((line) => !line.pass).length
  out.push('', `${report.targets.length - failed} of ${report.targets.length} targets met.`)
  return `${out.join('\n')}\n`
}

function gitCommit(): string | undefined {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    return dirty ? `${commit}+changes` : commit
  } catch {
    return undefined
  }
}

function writeReport(report: BenchReport, out: string | undefined): string[] {
  const json = `${JSON.stringify(report, null, 2)}\n`
  const paths = out ? [resolve(out)] : [join(RESULTS_DIR, `lake-${report.startedAt.replace(/[:.]/g, '-')}.json`), join(RESULTS_DIR, 'lake-latest.json')]
  for (const path of paths) {
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, json)
  }
  return paths
}

async function run(options: BenchLakeOptions): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`)
  const startedAt = new Date().toISOString()
  const gc = collector()
  const sizes: SizeFigures[] = []
  try {
    for (const size of options.sizes) sizes.push(await benchSize(size, options.seed, gc, log))
  } catch (error) {
    if (!(error instanceof Mismatch)) throw error
    process.stderr.write(
      `bench-lake: ${error.message}\nThe timings mean nothing while the answers differ. If groq-js is right, the lake's evaluation is wrong; if only the drafts perspective differs, check that perspectiveDocuments here still builds the view as PerspectiveRule in lake/views.ts does.\n`,
    )
    return 1
  }
  const {targetSize, lines} = judge(sizes)
  const report: BenchReport = {
    benchmark: 'lake',
    version: 1,
    startedAt,
    finishedAt: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus: cpus().length,
    seed: options.seed,
    targetSize,
    sizes,
    targets: lines,
  }
  process.stdout.write(`\n${render(report)}`)
  const paths = writeReport(report, options.out)
  process.stdout.write(`\nFigures written to ${paths.map((path) => relative(process.cwd(), path) || path).join(' and ')}\n`)
  return 0
}

runIfEntry(import.meta.url, {usage: USAGE, parse: parseBenchLakeArgs, run: (options) => run(options)})
