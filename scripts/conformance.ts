/**
 * Runs the official GROQ test suite (YAML files) twice: against groq-js directly and
 * through the lake's HTTP query endpoint, and prints both pass counts.
 *   npm run conformance -- /work/shared/groq-test-suite [--filter text] [--verbose]
 * Exits non-zero if any test that groq-js passes fails through the lake.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative, resolve} from 'node:path'
import {parseArgs, isDeepStrictEqual} from 'node:util'

import {createClient, type SanityClient} from '@sanity/client'
import {evaluate, parse} from 'groq-js'
import {parse as parseYaml} from 'yaml'

import {apiVersion} from '../lib/env'
import {startLake} from '../lake'

/** The GROQ revision groq-js implements (its own suite runner uses the same). */
const GROQ_VERSION: readonly [number, number] = [1, 2]
/** Fields the lake adds to every stored document; the suite's documents never have them. */
const SYSTEM_FIELDS = ['_rev', '_createdAt', '_updatedAt'] as const

/** Tests groq-js' own suite runner disables; named here so the report says why they did not run. */
const NOT_RUN: ReadonlyMap<string, string> = new Map([
  ['Filters / documents, nested 3', 'disabled in groq-js\' own suite runner: exponential nesting, takes minutes in groq-js (and so in the lake)'],
])

const HELP = `Usage: npm run conformance -- <suite folder> [--filter <text>] [--verbose]

Reads every *.yml under <suite folder> (the groq-test-suite layout), runs each test query
with groq-js directly and through a temporary lake over HTTP, and prints both pass counts.`

type Json = unknown
type Doc = Record<string, unknown>

interface SuiteNode {
  name?: unknown
  query?: unknown
  result?: unknown
  valid?: unknown
  params?: unknown
  variables?: unknown
  documents?: unknown
  dataset?: unknown
  version?: unknown
  features?: unknown
  tests?: unknown
}

interface SuiteTest {
  file: string
  name: string
  query: string
  valid: boolean
  result: Json
  params: Record<string, unknown>
  documents: Doc[]
  skip?: string
}

interface Outcome {
  pass: boolean
  detail?: string
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function listYamlFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out.push(...listYamlFiles(path))
    else if (entry.endsWith('.yml') || entry.endsWith('.yaml')) out.push(path)
  }
  return out
}

/** `~name~` template expansion; array-valued variables produce every combination (as the suite's build does). */
function expandQuery(query: string, variables: Record<string, unknown>): string[] {
  const names = [...new Set([...query.matchAll(/~(\w+)~/g)].map((m) => m[1] ?? ''))]
  let queries = [query]
  for (const name of names) {
    if (!(name in variables)) throw new Error(`template variable ~${name}~ is not defined`)
    const value = variables[name]
    const choices = Array.isArray(value) ? value.map(String) : [String(value)]
    queries = queries.flatMap((q) => choices.map((choice) => q.replaceAll(`~${name}~`, choice)))
  }
  return queries
}

/** Version selectors in the suite look like "0.1", ">= 1.0", ">= 1.2". */
function versionApplies(selector: unknown): boolean {
  if (selector === undefined || selector === null) return true
  const match = /^\s*(>=|<=|>|<|=)?\s*(\d+)(?:\.(\d+))?\s*$/.exec(String(selector))
  if (!match) return false
  const major = Number(match[2])
  const minor = match[3] === undefined ? undefined : Number(match[3])
  const [gMajor, gMinor] = GROQ_VERSION
  const cmp = gMajor !== major ? gMajor - major : minor === undefined ? 0 : gMinor - minor
  switch (match[1]) {
    case '>=':
      return cmp >= 0
    case '>':
      return cmp > 0
    case '<=':
      return cmp <= 0
    case '<':
      return cmp < 0
    default:
      // A bare "X.Y" means that revision only.
      return cmp === 0
  }
}

function collectTests(file: string, root: SuiteNode): SuiteTest[] {
  const tests: SuiteTest[] = []
  const visit = (node: SuiteNode, inherited: {documents: Doc[] | undefined; dataset: unknown}) => {
    const documents = Array.isArray(node.documents) ? (node.documents as Doc[]) : inherited.documents
    const dataset = node.documents ? undefined : (node.dataset ?? inherited.dataset)
    const scope = {documents, dataset}
    const hasResult = Object.hasOwn(node, 'result')
    const valid = node.valid !== false
    if (typeof node.query === 'string' && (hasResult || !valid)) {
      const variables = isRecord(node.variables) ? node.variables : {}
      let queries: string[]
      try {
        queries = expandQuery(node.query, variables)
      } catch {
        queries = []
      }
      for (const query of queries) {
        const test: SuiteTest = {
          file,
          name: typeof node.name === 'string' ? node.name : '(unnamed)',
          query,
          valid,
          result: node.result,
          params: isRecord(node.params) ? node.params : {},
          documents: documents ?? [],
        }
        if (!versionApplies(node.version)) test.skip = `targets GROQ ${String(node.version)} (this run targets GROQ-1.revision${GROQ_VERSION[1]}, like groq-js)`
        else if (NOT_RUN.has(test.name)) test.skip = NOT_RUN.get(test.name)
        else if (typeof dataset === 'string') test.skip = `needs the external "${dataset}" dataset, which is not available offline`
        tests.push(test)
      }
    }
    if (Array.isArray(node.tests)) {
      for (const child of node.tests) {
        if (!isRecord(child)) continue
        const name = node.name != null && child.name != null ? `${String(node.name)} / ${String(child.name)}` : (child.name ?? node.name)
        const variables =
          node.variables != null || child.variables != null
            ? {...(isRecord(node.variables) ? node.variables : {}), ...(isRecord(child.variables) ? child.variables : {})}
            : undefined
        const merged: SuiteNode = {...node, tests: undefined, documents: undefined, dataset: undefined, ...child, name, variables}
        visit(merged, scope)
      }
    }
  }
  visit(root, {documents: undefined, dataset: undefined})
  return tests
}

/** The suite compares scores by rank (`_pos`), since the scoring function is implementation-defined. */
function replaceScoreWithPos(value: unknown): void {
  const scores = new Set<number>()
  const entries: Record<string, unknown>[] = []
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit)
    else if (isRecord(v)) {
      if (typeof v._score === 'number') {
        entries.push(v)
        scores.add(v._score)
      }
      Object.values(v).forEach(visit)
    }
  }
  visit(value)
  const sorted = [...scores].sort((a, b) => b - a)
  for (const entry of entries) {
    entry._pos = sorted.indexOf(entry._score as number) + 1
    delete entry._score
  }
}

function normalize(value: unknown, stripSystemFields: boolean): unknown {
  const copy: unknown = value === undefined ? null : JSON.parse(JSON.stringify(value))
  if (stripSystemFields) {
    const strip = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(strip)
      else if (isRecord(v)) {
        for (const field of SYSTEM_FIELDS) delete v[field]
        Object.values(v).forEach(strip)
      }
    }
    strip(copy)
  }
  replaceScoreWithPos(copy)
  return copy
}

function compare(actual: unknown, expected: unknown, stripSystemFields: boolean): Outcome {
  const got = normalize(actual, stripSystemFields)
  const want = normalize(expected, false)
  return isDeepStrictEqual(got, want) ? {pass: true} : {pass: false, detail: `got ${short(got)}, expected ${short(want)}`}
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined')
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function message(error: unknown): string {
  return short(error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error))
}

function cmpString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

async function runGroqJs(test: SuiteTest): Promise<Outcome> {
  const dataset = [...test.documents].sort((a, b) => cmpString(String(a._id), String(b._id)))
  try {
    const tree = parse(test.query, {params: test.params})
    const value = await evaluate(tree, {dataset, params: test.params})
    const data: unknown = await value.get()
    if (!test.valid) return {pass: false, detail: 'expected an error, got a result'}
    return compare(data, test.result, false)
  } catch (error) {
    return test.valid ? {pass: false, detail: `error: ${message(error)}`} : {pass: true}
  }
}

function statusOf(error: unknown): number | undefined {
  return isRecord(error) && typeof error.statusCode === 'number' ? error.statusCode : undefined
}

async function main(): Promise<void> {
  const {values, positionals} = (() => {
    try {
      return parseArgs({
        options: {filter: {type: 'string'}, verbose: {type: 'boolean'}, help: {type: 'boolean', short: 'h'}},
        allowPositionals: true,
        strict: true,
      })
    } catch (error) {
      process.stderr.write(`${message(error)}\n\n${HELP}\n`)
      process.exit(2)
    }
  })()
  if (values.help) {
    process.stdout.write(`${HELP}\n`)
    return
  }
  const [folder] = positionals
  if (!folder || positionals.length > 1) {
    process.stderr.write(`Give exactly one suite folder.\n\n${HELP}\n`)
    process.exit(2)
  }
  const suiteDir = resolve(folder)
  const files = listYamlFiles(suiteDir)
  if (files.length === 0) {
    process.stderr.write(`No *.yml files under ${suiteDir}; point at the groq-test-suite checkout (its test/ folder or the root).\n`)
    process.exit(2)
  }

  const tests: SuiteTest[] = []
  for (const file of files) {
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'))
    if (isRecord(parsed)) tests.push(...collectTests(relative(suiteDir, file), parsed))
  }
  const selected = values.filter ? tests.filter((t) => `${t.file} ${t.name} ${t.query}`.includes(values.filter ?? '')) : tests
  const runnable = selected.filter((t) => !t.skip)
  const skipped = selected.filter((t) => t.skip)

  const dir = mkdtempSync(join(tmpdir(), 'lake-conformance-'))
  const lake = await startLake({port: 0, dir, token: 'conformance'})
  const client: SanityClient = createClient({
    projectId: 'local',
    dataset: 'conformance',
    apiHost: lake.url,
    useProjectHostname: false,
    apiVersion,
    token: lake.token,
    useCdn: false,
  })

  // One dataset per distinct document set, loaded through the HTTP mutate API.
  const datasets = new Map<string, {name: string; error?: string}>()
  const datasetFor = async (documents: Doc[]) => {
    const key = JSON.stringify(documents)
    let entry = datasets.get(key)
    if (!entry) {
      entry = {name: `c${datasets.size}`}
      datasets.set(key, entry)
      if (documents.length > 0) {
        try {
          await client
            .withConfig({dataset: entry.name})
            .mutate(documents.map((doc) => ({createOrReplace: doc as {_id: string; _type: string}})), {returnDocuments: false})
        } catch (error) {
          entry.error = `could not load the test documents into the lake: ${message(error)}`
        }
      }
    }
    return entry
  }

  const started = performance.now()
  let groqPass = 0
  let lakePass = 0
  const regressions: string[] = []
  const lakeOnly: string[] = []
  const otherFailures: string[] = []
  try {
    for (const test of runnable) {
      const testStarted = performance.now()
      if (process.env.CONFORMANCE_TRACE) process.stderr.write(`> ${test.file} › ${test.name}\n`)
      const direct = await runGroqJs(test)
      const target = await datasetFor(test.documents)
      let viaLake: Outcome
      if (target.error) {
        viaLake = {pass: false, detail: target.error}
      } else {
        try {
          const result: unknown = await client
            .withConfig({dataset: target.name})
            .fetch(test.query, test.params, {perspective: 'raw', filterResponse: true})
          viaLake = test.valid ? compare(result, test.result, true) : {pass: false, detail: 'expected an error, got a result'}
        } catch (error) {
          viaLake = !test.valid && statusOf(error) === 400 ? {pass: true} : {pass: false, detail: `error: ${message(error)}`}
        }
      }
      const took = performance.now() - testStarted
      if (took > 2000) process.stderr.write(`slow (${(took / 1000).toFixed(1)} s): ${test.file} › ${test.name}\n`)
      if (direct.pass) groqPass++
      if (viaLake.pass) lakePass++
      const label = `${test.file} › ${test.name} › ${short(test.query.replace(/\s+/g, ' ').trim())}`
      if (direct.pass && !viaLake.pass) regressions.push(`${label}\n    lake: ${viaLake.detail ?? ''}`)
      else if (!direct.pass && viaLake.pass) lakeOnly.push(`${label}\n    groq-js: ${direct.detail ?? ''}`)
      else if (!direct.pass || !viaLake.pass) {
        otherFailures.push(`${label}\n    groq-js: ${direct.pass ? 'pass' : direct.detail}\n    lake: ${viaLake.pass ? 'pass' : viaLake.detail}`)
      }
    }
  } finally {
    await lake.close()
    rmSync(dir, {recursive: true, force: true})
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const skipReasons = new Map<string, number>()
  for (const test of skipped) skipReasons.set(test.skip ?? '', (skipReasons.get(test.skip ?? '') ?? 0) + 1)
  const out = process.stdout
  out.write(`GROQ conformance: ${selected.length} test queries from ${files.length} files in ${suiteDir}\n`)
  for (const [reason, count] of skipReasons) out.write(`  not run on either side: ${count} — ${reason}\n`)
  out.write(`  groq-js (direct):        ${groqPass} / ${runnable.length} passed\n`)
  out.write(`  lake (HTTP, @sanity/client): ${lakePass} / ${runnable.length} passed  (${datasets.size} datasets, ${seconds} s)\n`)
  out.write(`  failing through the lake but passing in groq-js: ${regressions.length}\n`)
  out.write(`  passing through the lake but failing in groq-js: ${lakeOnly.length}\n`)
  if (regressions.length > 0) out.write(`\nLake regressions:\n${regressions.map((r) => `  ${r}`).join('\n')}\n`)
  // The lake refuses some queries groq-js evaluates (e.g. a parameter the request lacks), as Sanity's API does.
  if (lakeOnly.length > 0) out.write(`\nPassing through the lake only:\n${lakeOnly.map((r) => `  ${r}`).join('\n')}\n`)
  if (otherFailures.length > 0) {
    const shown = values.verbose ? otherFailures : otherFailures.slice(0, 10)
    out.write(`\nFailing in groq-js (and so not a lake regression)${values.verbose ? '' : `, first ${shown.length} of ${otherFailures.length} (--verbose for all)`}:\n`)
    out.write(`${shown.map((r) => `  ${r}`).join('\n')}\n`)
  }
  process.exitCode = regressions.length > 0 ? 1 : 0
}

main().catch((error: unknown) => {
  process.stderr.write(`conformance: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exit(1)
})
