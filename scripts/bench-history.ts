/**
 * Document history latency: a dataset of 100,000 documents written by 10,000 transactions,
 * then the History API requests the Studio makes when its History panel opens on a document
 * that has a long history (hundreds of edits and publishes), timed over HTTP.
 *
 *   npm run bench:history [-- --docs 100000 --transactions 10000 --samples 40 --dry-run]
 *
 * Target: a document's history answered in <= 50 ms (p95 of each request).
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {importReview, parseFacts} from '../importer'
import {LakeStore, startLake} from '../lake'
import {apiVersion} from '../lib/env'
import herFacts from '../seed/her-2013.facts'

const HELP = `Usage: npm run bench:history [-- options]

Builds a throwaway lake with --docs documents written by --transactions transactions (imports
in large batches, then single-document edits, a share of them to one heavily edited review and
its draft), and times the History API requests the Studio's History panel makes for that review.

Options:
  --docs <n>          Documents in the dataset (default 100000)
  --transactions <n>  Transactions in its history (default 10000)
  --samples <n>       Timed repetitions of each request (default 40)
  --dry-run           Say what would be built and measured, and stop
  --help              Show this help`

export interface BenchHistoryOptions {
  docs: number
  transactions: number
  samples: number
  dryRun: boolean
}

export const TARGET_MS = 50
/** Documents per import transaction. */
const IMPORT_BATCH = 5000
/** Transactions of the heavily edited review (its draft edits and publishes). */
const HOT_TRANSACTIONS = 400

export function parseBenchHistoryArgs(argv: readonly string[]): BenchHistoryOptions | {help: true} | {error: string} {
  try {
    const {values} = parseArgs({
      args: [...argv],
      options: {
        docs: {type: 'string'},
        transactions: {type: 'string'},
        samples: {type: 'string'},
        'dry-run': {type: 'boolean'},
        help: {type: 'boolean', short: 'h'},
      },
      strict: true,
    })
    if (values.help) return {help: true}
    const integer = (value: string | undefined, fallback: number, name: string, min: number) => {
      const number = value === undefined ? fallback : Number(value)
      if (!Number.isInteger(number) || number < min) throw new Error(`--${name} must be a whole number of at least ${min}, not "${value}"`)
      return number
    }
    const docs = integer(values.docs, 100_000, 'docs', 1000)
    const imports = Math.ceil(docs / IMPORT_BATCH)
    const transactions = integer(values.transactions, 10_000, 'transactions', imports + HOT_TRANSACTIONS + 1)
    return {docs, transactions, samples: integer(values.samples, 40, 'samples', 5), dryRun: values['dry-run'] ?? false}
  } catch (error) {
    return {error: error instanceof Error ? error.message : String(error)}
  }
}

interface Timing {
  label: string
  p50: number
  p95: number
  max: number
  bytes: number
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
}

export async function run(options: BenchHistoryOptions, log: (line: string) => void = (line) => console.log(line)): Promise<{timings: Timing[]; ok: boolean}> {
  const imports = Math.ceil(options.docs / IMPORT_BATCH)
  const edits = options.transactions - imports
  const plan = `${options.docs} documents in ${imports} import transactions of up to ${IMPORT_BATCH}, then ${edits} single-document transactions (${HOT_TRANSACTIONS} of them edits and publishes of the Her review, the rest edits spread over other documents)`
  if (options.dryRun) {
    log(`Would build: ${plan}.`)
    log(`Would time (${options.samples} samples each): the events feed, the draft's transactions with Mendoza effects, Review changes' transactions of the published document, and a revision.`)
    return {timings: [], ok: true}
  }
  const dir = mkdtempSync(join(tmpdir(), 'bench-history-'))
  try {
    log(`Building: ${plan} …`)
    const built = performance.now()
    const store = new LakeStore(dir)
    const dataset = store.dataset('production')
    const text = readFileSync(new URL('../seed/her-2013-user-review.txt', import.meta.url), 'utf8')
    const her = importReview(text, {fileName: 'seed/her-2013-user-review.txt', facts: parseFacts(herFacts, 'seed/her-2013.facts.ts')}).documents
    const review = her.find((doc) => doc._type === 'review')
    if (!review) throw new Error('The importer built no review from the Her review')
    const reviewId = review._id
    const filler = (i: number) => ({_id: `person-bench-${i}`, _type: 'person', name: `Person ${i}`, slug: {_type: 'slug', current: `person-${i}`}, aliases: [`P. ${i}`]})
    let written = 0
    let fillers = 0
    for (let batch = 0; batch < imports; batch++) {
      const docs: {_id: string; _type: string}[] = batch === 0 ? [...her] : []
      while (docs.length < IMPORT_BATCH && written + docs.length < options.docs) docs.push(filler(fillers++))
      written += docs.length
      await dataset.transaction(docs.map((doc) => ({createOrReplace: doc})))
    }
    const draftId = `drafts.${reviewId}`
    let hot = 0
    for (let i = 0; i < edits; i++) {
      // The Her review's share is spread over the whole run, as a document edited now and then would be.
      if (hot < HOT_TRANSACTIONS && i % Math.floor(edits / HOT_TRANSACTIONS) === 0) {
        hot++
        if (hot % 10 === 0) {
          const draft = dataset.getDocument(draftId)
          if (draft) {
            const {_rev: _r, _updatedAt: _u, ...content} = draft
            await dataset.transaction([{createOrReplace: {...content, _id: reviewId}}, {delete: {id: draftId}}], {identity: 'local-editor'})
            continue
          }
        }
        if (!dataset.getDocument(draftId)) {
          const published = dataset.getDocument(reviewId)
          if (!published) throw new Error('the review disappeared')
          const {_rev: _r, _updatedAt: _u, ...content} = published
          await dataset.transaction([{createIfNotExists: {...content, _id: draftId}}, {patch: {id: draftId, set: {title: `Falling in love with AI (take ${hot})`}}}], {identity: 'local-editor'})
        } else {
          await dataset.transaction([{patch: {id: draftId, set: {title: `Falling in love with AI (take ${hot})`, rating: hot % 10}}}], {identity: 'local-editor'})
        }
        continue
      }
      await dataset.transaction([{patch: {id: `person-bench-${(i * 7919) % fillers}`, set: {name: `Person edit ${i}`}}}])
    }
    const committed = dataset.history.oldestSeq()
    log(`Built in ${((performance.now() - built) / 1000).toFixed(1)} s: ${dataset.size} documents, ${options.transactions} transactions (history from seq ${committed}).`)
    await store.close()

    const lake = await startLake({port: 0, dir, token: 'bench-history'})
    try {
      const get = async (path: string): Promise<{ms: number; bytes: number; body: string}> => {
        const started = performance.now()
        const response = await fetch(`${lake.url}/v${apiVersion}${path}`, {headers: {authorization: 'Bearer bench-history'}})
        const body = await response.text()
        if (!response.ok) throw new Error(`${path} answered ${response.status}: ${body.slice(0, 300)}`)
        return {ms: performance.now() - started, bytes: body.length, body}
      }
      // The requests, in the order the History panel makes them (sanity 6.9.2, scheduleItem/getTransactionsLogs).
      const feed = JSON.parse((await get(`/data/history/production/events/documents/${draftId}?limit=100`)).body) as {events: Record<string, {versionRevisionId?: string; revisionId?: string}[]>}
      const events = feed.events[draftId] ?? []
      const from = events.find((event) => event.versionRevisionId)?.versionRevisionId ?? ''
      const published = JSON.parse((await get(`/data/history/production/events/documents/${reviewId}?limit=100`)).body) as {events: Record<string, {revisionId?: string}[]>}
      const publishes = published.events[reviewId] ?? []
      const [latest, previous] = publishes
      const requests: [string, string][] = [
        ['events feed of the draft (limit 100)', `/data/history/production/events/documents/${draftId}?limit=100`],
        ['events feed of the published document', `/data/history/production/events/documents/${reviewId}?limit=100`],
        ["the draft's edits since its last event, Mendoza effects (limit 50)", `/data/history/production/transactions/${draftId}?excludeContent=true&limit=50&includeIdentifiedDocumentsOnly=true&effectFormat=mendoza&fromTransaction=${from}`],
        ['Review changes: transactions between two publishes', `/data/history/production/transactions/${reviewId}?excludeContent=true&limit=50&includeIdentifiedDocumentsOnly=true&effectFormat=mendoza&fromTransaction=${previous?.revisionId ?? ''}&toTransaction=${latest?.revisionId ?? ''}`],
        ['the published document at a revision', `/data/history/production/documents/${reviewId}?revision=${previous?.revisionId ?? latest?.revisionId ?? ''}`],
        ['legacy timeline: 50 newest transactions, reverse', `/data/history/production/transactions/${reviewId},${draftId}?effectFormat=mendoza&excludeContent=true&excludeMutations=true&includeIdentifiedDocumentsOnly=true&reverse=true&limit=50`],
      ]
      const timings: Timing[] = []
      for (const [label, path] of requests) {
        await get(path)
        const samples: number[] = []
        let bytes = 0
        for (let i = 0; i < options.samples; i++) {
          const answer = await get(path)
          samples.push(answer.ms)
          bytes = answer.bytes
        }
        samples.sort((a, b) => a - b)
        timings.push({label, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.at(-1) ?? 0, bytes})
      }
      log('')
      log(`History of one review (${events.length} draft events, ${publishes.length} published events) in ${options.docs} documents / ${options.transactions} transactions, ${options.samples} samples over HTTP, ms:`)
      log(`${'request'.padEnd(70)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)} ${'bytes'.padStart(8)}`)
      for (const timing of timings) {
        log(`${timing.label.padEnd(70)} ${timing.p50.toFixed(1).padStart(7)} ${timing.p95.toFixed(1).padStart(7)} ${timing.max.toFixed(1).padStart(7)} ${String(timing.bytes).padStart(8)}`)
      }
      const worst = Math.max(...timings.map((timing) => timing.p95))
      const ok = worst <= TARGET_MS
      log(`Slowest p95: ${worst.toFixed(1)} ms (target <= ${TARGET_MS} ms): ${ok ? 'met' : 'MISSED'}`)
      return {timings, ok}
    } finally {
      await lake.close()
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const parsed = parseBenchHistoryArgs(process.argv.slice(2))
if ('help' in parsed) {
  process.stdout.write(`${HELP}\n`)
} else if ('error' in parsed) {
  process.stderr.write(`${parsed.error}\n\n${HELP}\n`)
  process.exitCode = 2
} else {
  run(parsed).then(
    ({ok}) => {
      process.exitCode = ok ? 0 : 1
    },
    (error: unknown) => {
      process.stderr.write(`bench-history: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
