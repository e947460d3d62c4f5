/**
 * Isolation benchmark: latency of a trivial query and of a site page, alone and while
 * pathological queries run without pause on the same server.
 *   npm run bench:isolation [-- --docs 3000 --samples 200 --query-timeout 10000 --dry-run]
 */
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {createClient} from '@sanity/client'

import {createCommentHandler} from '../comments'
import {importReview} from '../importer'
import {apiVersion} from '../lib/env'
import {startServer} from '../server'
import herFacts from '../seed/her-2013.facts'
import {createSiteApp, createSiteHandler} from '../site'

const HELP = `Usage: npm run bench:isolation -- [options]

Starts the local server (lake, site, comments) on a free loopback port over a temporary
folder, seeds the Her review and --docs filler documents, then measures a trivial query and
a review page: first alone, then while one pathological query after another runs (an
anonymous correlated count over every document, and a 35 KB query of || terms). Prints
p50/p95/max latencies; the target is p95 <= 100 ms for the trivial query under load.

Options:
  --docs <n>            Filler documents the pathological queries scan (default 3000)
  --samples <n>         Requests per measurement (default 200)
  --query-timeout <ms>  The lake's query budget (default 10000)
  --dry-run             Say what would run, run nothing
  --help                Show this help`

export interface BenchOptions {
  docs: number
  samples: number
  queryTimeoutMs: number
  dryRun: boolean
}

const TRIVIAL = '*[_type == "film"][0]{title}'
const PAGE = '/reviews/her-2013-falling-in-love-with-ai'
const CORRELATED = '*[_type == "x"]{"n": count(*[n > ^.n])}'
const LONG_OR = `*[_type == "x" && (${Array.from({length: 3000}, (_, i) => `n == ${i}`).join(' || ')})]._id`

export function parseBenchArgs(argv: readonly string[]): BenchOptions | {help: true} | {error: string} {
  try {
    const {values} = parseArgs({
      args: [...argv],
      options: {
        docs: {type: 'string'},
        samples: {type: 'string'},
        'query-timeout': {type: 'string'},
        'dry-run': {type: 'boolean'},
        help: {type: 'boolean', short: 'h'},
      },
      strict: true,
    })
    if (values.help) return {help: true}
    const number = (value: string | undefined, fallback: number, name: string, min: number) => {
      const parsed = value === undefined ? fallback : Number(value)
      if (!Number.isInteger(parsed) || parsed < min) throw new Error(`--${name} must be a whole number of at least ${min}, not "${value}"`)
      return parsed
    }
    return {
      docs: number(values.docs, 3000, 'docs', 10),
      samples: number(values.samples, 200, 'samples', 10),
      queryTimeoutMs: number(values['query-timeout'], 10_000, 'query-timeout', 100),
      dryRun: values['dry-run'] === true,
    }
  } catch (error) {
    return {error: error instanceof Error ? error.message : String(error)}
  }
}

interface Stats {
  p50: number
  p95: number
  max: number
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0
  return {p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0}
}

async function timed(url: string, expectStatus = 200): Promise<number> {
  const started = performance.now()
  const response = await fetch(url)
  await response.arrayBuffer()
  if (response.status !== expectStatus) throw new Error(`${url} answered ${response.status}`)
  return performance.now() - started
}

async function measure(samples: number, trivialUrl: string, pageUrl: string): Promise<{trivial: Stats; page: Stats}> {
  const trivial: number[] = []
  const page: number[] = []
  for (let i = 0; i < samples; i++) {
    trivial.push(await timed(trivialUrl))
    if (i % 4 === 0) page.push(await timed(pageUrl))
    // Paced like a reader, not a load test: the question is latency, not throughput.
    await new Promise((resolveWait) => setTimeout(resolveWait, 5))
  }
  return {trivial: stats(trivial), page: stats(page)}
}

export async function run(options: BenchOptions, log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  if (options.dryRun) {
    log(`Would start the server over a temporary folder, seed the Her review and ${options.docs} filler documents,`)
    log(`measure ${options.samples} trivial queries (${TRIVIAL}) and ${Math.ceil(options.samples / 4)} requests of ${PAGE}`)
    log(`alone and while these run back to back (query budget ${options.queryTimeoutMs} ms):`)
    log(`  ${CORRELATED}`)
    log(`  a ${LONG_OR.length}-byte query of || terms`)
    return 0
  }
  const root = resolve(import.meta.dirname, '..')
  const dir = mkdtempSync(join(tmpdir(), 'bench-isolation-'))
  const server = await startServer({
    port: 0,
    dir,
    studioDir: join(dir, 'no-studio'),
    queryTimeoutMs: options.queryTimeoutMs,
    app: ({apiUrl, token}) => {
      const clientFor = (withToken?: string) =>
        createClient({projectId: 'local', dataset: 'production', apiVersion, apiHost: apiUrl, useProjectHostname: false, useCdn: false, ...(withToken ? {token: withToken} : {})})
      return createSiteApp({
        site: createSiteHandler({client: clientFor(), log: () => {}}),
        comments: createCommentHandler({client: clientFor(token), onError: () => {}}),
      })
    },
  })
  try {
    const client = createClient({projectId: 'local', dataset: 'production', apiVersion, apiHost: server.apiUrl, useProjectHostname: false, useCdn: false, token: server.token})
    const her = importReview(readFileSync(join(root, 'seed/her-2013-user-review.txt'), 'utf8'), {fileName: 'seed/her-2013-user-review.txt', facts: herFacts})
    const filler = Array.from({length: options.docs}, (_, n) => ({_id: `x-${n}`, _type: 'x', n}))
    const transaction = client.transaction()
    for (const doc of [...her.documents, ...filler]) transaction.createOrReplace(doc as {_id: string; _type: string})
    await transaction.commit()

    const queryUrl = (query: string) => `${server.apiUrl}/v${apiVersion}/data/query/production?query=${encodeURIComponent(query)}`
    const trivialUrl = queryUrl(TRIVIAL)
    const pageUrl = `${server.apiUrl}${PAGE}`
    // Warm-up: workers started and the dataset loaded in each.
    for (let i = 0; i < 20; i++) await timed(trivialUrl)
    await timed(pageUrl)

    log(`bench: ${options.samples} trivial queries alone…`)
    const rows: {name: string; trivial: Stats; page: Stats}[] = [{name: 'alone', ...(await measure(options.samples, trivialUrl, pageUrl))}]
    const outcomes = new Map<string, number>()
    const scenarios = [
      {name: 'with a correlated count', queries: [CORRELATED]},
      {name: 'with 35 KB of ||', queries: [LONG_OR]},
      {name: 'with both at once', queries: [CORRELATED, LONG_OR]},
    ]
    for (const scenario of scenarios) {
      log(`bench: the same ${scenario.name} running back to back…`)
      let stop = false
      const hammer = async (query: string) => {
        while (!stop) {
          const response = await fetch(`${server.apiUrl}/v${apiVersion}/data/query/production`, {
            method: 'POST',
            headers: {'content-type': 'application/json'},
            body: JSON.stringify({query}),
          })
          await response.arrayBuffer()
          const key = `${query === CORRELATED ? 'correlated count' : '35 KB of ||'} → ${response.status}`
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
        }
      }
      const running = Promise.all(scenario.queries.map(hammer))
      // Let them get going (the long query spends its first seconds in the parser).
      await new Promise((resolveWait) => setTimeout(resolveWait, 300))
      rows.push({name: scenario.name, ...(await measure(options.samples, trivialUrl, pageUrl))})
      stop = true
      log('bench: waiting for the pathological queries to end…')
      await running
    }

    const fmt = (value: number) => value.toFixed(1).padStart(8)
    log('')
    log(`Isolation (2-core machine, ${options.docs} filler documents, query budget ${options.queryTimeoutMs} ms), latency in ms`)
    log('')
    log('| request                                    | p50      | p95      | max      |')
    log('|--------------------------------------------|---------:|---------:|---------:|')
    const row = (name: string, s: Stats) => log(`| ${name.padEnd(42)} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.max)} |`)
    for (const {name, trivial} of rows) row(`trivial query, ${name}`, trivial)
    for (const {name, page} of rows) row(`review page, ${name}`, page)
    log('')
    log(`pathological queries meanwhile: ${[...outcomes].map(([key, count]) => `${count}× ${key}`).join(', ')}`)
    const worst = Math.max(...rows.slice(1).map((r) => r.trivial.p95))
    log(`target p95 <= 100 ms for the trivial query beside a pathological one: ${worst <= 100 ? 'met' : 'NOT met'} (worst p95 ${worst.toFixed(1)} ms)`)
    return 0
  } finally {
    await server.close()
    rmSync(dir, {recursive: true, force: true})
  }
}

const parsed = parseBenchArgs(process.argv.slice(2))
if ('help' in parsed) {
  process.stdout.write(`${HELP}\n`)
} else if ('error' in parsed) {
  process.stderr.write(`${parsed.error}\n\n${HELP}\n`)
  process.exitCode = 2
} else {
  run(parsed).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`bench-isolation: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
