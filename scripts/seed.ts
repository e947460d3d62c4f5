/**
 * `npm run seed` — imports a plain-text review into the dataset, or into an NDJSON
 * file with `--out`. Argument parsing and process wiring live here; `run` takes
 * its I/O as `deps` so tests drive it without a process, disk or network.
 */
import {existsSync} from 'node:fs'
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'
import {parseArgs} from 'node:util'

import {createClient} from '@sanity/client'

import {
  buildDocuments,
  filmSlug,
  ImportError,
  parseFacts,
  parseReview,
  planSync,
  syncDocuments,
  toNdjson,
  decodeReviewText,
  type DatasetClient,
  type DatasetTransaction,
  type FilmFacts,
  type SyncStep,
} from '../importer/index'
import {clientConfig, resolveTarget, type SanityTarget} from '../lib/env'

export const DEFAULT_REVIEW_FILE = 'seed/her-2013-user-review.txt'
/** Where curated facts live besides the review's own folder. */
export const FACTS_DIR = 'seed'

export const USAGE = `Usage: npm run seed -- [--file <review.txt>] [--facts <facts.ts>] [--out <file.ndjson>] [--dry-run]

Imports a plain-text user review as film, person and review documents.

  --file <path>     The review text (default: ${DEFAULT_REVIEW_FILE}).
  --facts <path>    Curated film facts (a .ts module whose default export is FilmFacts).
                    Default: <film-slug>.facts.ts next to the review, else in ${FACTS_DIR}/.
  --out <path>      Write the documents as NDJSON (for "sanity dataset import")
                    instead of writing to the dataset; contacts nothing.
  --dry-run         Print per document whether it would be created, replaced or left
                    unchanged, and write nothing.
  -h, --help        Show this help.

Without --out, documents go to the dataset from lib/env.ts: the local lake
(start it with "npm run lake" or "npm start") or, when SANITY_PROJECT_ID,
SANITY_DATASET and SANITY_API_WRITE_TOKEN are set, a hosted project.
`

export interface SeedOptions {
  file: string
  facts?: string
  out?: string
  dryRun: boolean
}

export interface SeedDeps {
  readFile(path: string): Promise<Uint8Array>
  writeFile(path: string, data: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  remove(path: string): Promise<void>
  mkdir(path: string): Promise<void>
  exists(path: string): Promise<boolean>
  /** Imports a facts module and returns its default export. */
  loadFacts(path: string): Promise<unknown>
  target(): SanityTarget
  createClient(target: SanityTarget): DatasetClient
  stdout(text: string): void
  stderr(text: string): void
}

export type ParsedArgs = {kind: 'help'} | {kind: 'run'; options: SeedOptions} | {kind: 'error'; message: string}

export function parseSeedArgs(argv: readonly string[]): ParsedArgs {
  try {
    const {values, positionals} = parseArgs({
      args: [...argv],
      options: {
        file: {type: 'string'},
        facts: {type: 'string'},
        out: {type: 'string'},
        'dry-run': {type: 'boolean', default: false},
        help: {type: 'boolean', short: 'h', default: false},
      },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) return {kind: 'help'}
    if (positionals.length > 0) return {kind: 'error', message: `unexpected argument "${positionals[0]}"`}
    for (const name of ['file', 'facts', 'out'] as const) {
      if (values[name] === '') return {kind: 'error', message: `--${name} needs a path`}
    }
    return {
      kind: 'run',
      options: {
        file: values.file ?? DEFAULT_REVIEW_FILE,
        ...(values.facts === undefined ? {} : {facts: values.facts}),
        ...(values.out === undefined ? {} : {out: values.out}),
        dryRun: values['dry-run'],
      },
    }
  } catch (error) {
    return {kind: 'error', message: error instanceof Error ? error.message : String(error)}
  }
}

/** Runs one import; returns the process exit code. Malformed input writes nothing. */
export async function run(options: SeedOptions, deps: SeedDeps): Promise<number> {
  try {
    const bytes = await readInput(options.file, deps)
    const text = decodeReviewText(bytes, options.file)
    // Parse once up front: the film slug names the conventional facts file.
    const parsed = parseReview(text, {fileName: options.file})
    const facts = await findFacts(options, filmSlug(parsed.title, parsed.releaseYear), deps)
    const result = buildDocuments(parsed, facts?.facts)
    if (facts) deps.stdout(`Using film facts from ${facts.path}\n`)

    if (options.out !== undefined) {
      const stored = (await deps.exists(options.out)) ? await readNdjson(options.out, deps) : new Map<string, object>()
      const plan = planSync(result.documents, stored)
      if (options.dryRun) {
        printPlan(plan, deps, true)
        deps.stdout(`Dry run: ${options.out} was not written.\n`)
        return 0
      }
      await writeAtomically(options.out, toNdjson(result.documents), deps)
      deps.stdout(`Wrote ${result.documents.length} documents to ${options.out}\n`)
      return 0
    }

    const target = deps.target()
    const client = deps.createClient(target)
    let plan: SyncStep[]
    try {
      plan = await syncDocuments(client, result.documents, {dryRun: options.dryRun})
    } catch (error) {
      deps.stderr(`error: ${describeBackendError(error, target)}\n`)
      return 1
    }
    printPlan(plan, deps, options.dryRun)
    const where = `${target.kind === 'lake' ? 'local lake' : 'project'} ${target.projectId}, dataset ${target.dataset}`
    if (options.dryRun) {
      deps.stdout(`Dry run: nothing was written to ${where}.\n`)
    } else {
      const changed = plan.filter((step) => step.action !== 'unchanged').length
      deps.stdout(
        changed === 0
          ? `Everything in ${where} is already up to date.\n`
          : `Wrote ${changed} of ${plan.length} documents to ${where} in one transaction.\n`,
      )
    }
    return 0
  } catch (error) {
    if (error instanceof ImportError) {
      deps.stderr(`error: ${error.message}\n`)
      return 1
    }
    throw error
  }
}

async function readInput(path: string, deps: SeedDeps): Promise<Uint8Array> {
  if (!(await deps.exists(path))) throw new ImportError('no such file', {fileName: path})
  return deps.readFile(path)
}

async function findFacts(
  options: SeedOptions,
  slug: string,
  deps: SeedDeps,
): Promise<{path: string; facts: FilmFacts} | undefined> {
  let path = options.facts
  if (path === undefined) {
    const candidates = [...new Set([join(dirname(options.file), `${slug}.facts.ts`), join(FACTS_DIR, `${slug}.facts.ts`)])]
    for (const candidate of candidates) {
      if (await deps.exists(candidate)) {
        path = candidate
        break
      }
    }
    if (path === undefined) return undefined
  } else if (!(await deps.exists(path))) {
    throw new ImportError('no such facts file', {fileName: path})
  }
  let value: unknown
  try {
    value = await deps.loadFacts(path)
  } catch (error) {
    throw new ImportError(`cannot load the facts module: ${error instanceof Error ? error.message : String(error)}`, {
      fileName: path,
    })
  }
  return {path, facts: parseFacts(value, path)}
}

async function readNdjson(path: string, deps: SeedDeps): Promise<Map<string, object>> {
  const text = new TextDecoder().decode(await deps.readFile(path))
  const documents = new Map<string, object>()
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    let document: unknown
    try {
      document = JSON.parse(line)
    } catch {
      throw new ImportError('not NDJSON: this line is not a JSON document', {fileName: path, line: index + 1})
    }
    if (typeof document === 'object' && document !== null && '_id' in document && typeof document._id === 'string') {
      documents.set(document._id, document)
    }
  })
  return documents
}

/** Temp file + rename in the same folder: readers see the old file or the whole new one. */
async function writeAtomically(path: string, data: string, deps: SeedDeps): Promise<void> {
  await deps.mkdir(dirname(path) || '.')
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  try {
    await deps.writeFile(temporary, data)
    await deps.rename(temporary, path)
  } catch (error) {
    await deps.remove(temporary).catch(() => undefined)
    throw error
  }
}

function printPlan(plan: readonly SyncStep[], deps: SeedDeps, dryRun: boolean): void {
  const verbs = dryRun
    ? {create: 'would create', replace: 'would replace', unchanged: 'unchanged'}
    : {create: 'created', replace: 'replaced', unchanged: 'unchanged'}
  const width = Math.max(...Object.values(verbs).map((verb) => verb.length))
  for (const step of plan) deps.stdout(`${verbs[step.action].padEnd(width)}  ${step.id}\n`)
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'])

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') break
    const code = 'code' in current ? current.code : undefined
    if (typeof code === 'string') return code
    current = 'cause' in current ? current.cause : undefined
  }
  return undefined
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number'
    ? error.statusCode
    : undefined
}

/** Turns client failures into advice; the transaction is atomic, so nothing was written. */
export function describeBackendError(error: unknown, target: SanityTarget): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = errorCode(error)
  const host = target.kind === 'lake' ? target.apiHost : (target.apiHost ?? 'https://api.sanity.io')
  if ((code && UNREACHABLE_CODES.has(code)) || /ECONNREFUSED|fetch failed|socket hang up/i.test(message)) {
    return target.kind === 'lake'
      ? `cannot reach the local lake at ${host} (${code ?? message}). Start it with "npm run lake" (or "npm start" for the lake and the Studio), then run the seed again. Nothing was written.`
      : `cannot reach ${host} for project ${target.projectId} (${code ?? message}). Check the network and SANITY_API_HOST. Nothing was written.`
  }
  const status = statusCode(error)
  if (status === 401 || status === 403) {
    return target.kind === 'lake'
      ? `the local lake at ${host} refused the request (${status}: ${message}). The token comes from .lake/token, written when the lake first starts ("npm run lake"), or from SANITY_API_WRITE_TOKEN. Nothing was written.`
      : `project ${target.projectId} refused the request (${status}: ${message}). SANITY_API_WRITE_TOKEN must be a token with write access to dataset ${target.dataset}. Nothing was written.`
  }
  return `writing to dataset ${target.dataset} failed: ${message}. Nothing was written.`
}

export function defaultDeps(): SeedDeps {
  return {
    readFile: async (path) => new Uint8Array(await readFile(path)),
    writeFile: (path, data) => writeFile(path, data, 'utf8'),
    rename: (from, to) => rename(from, to),
    remove: (path) => rm(path, {force: true}),
    mkdir: async (path) => {
      await mkdir(path, {recursive: true})
    },
    exists: async (path) => existsSync(path),
    loadFacts: async (path) => {
      const module: unknown = await import(pathToFileURL(resolve(path)).href)
      return typeof module === 'object' && module !== null && 'default' in module ? module.default : module
    },
    target: () => resolveTarget(),
    createClient: (target) => {
      // Fail fast against the local lake: retrying a refused connection only delays the hint.
      const client = createClient({...clientConfig(target), ...(target.kind === 'lake' ? {maxRetries: 0} : {})})
      return {
        fetch: <R>(query: string, params: Record<string, unknown>) => client.fetch<R>(query, params),
        transaction: () => {
          const transaction = client.transaction()
          const wrapped: DatasetTransaction = {
            createOrReplace: (document) => {
              // Spread: the client wants an index-signature type, the importer has exact interfaces.
              transaction.createOrReplace<Record<string, unknown>>({...document})
              return wrapped
            },
            commit: () => transaction.commit(),
          }
          return wrapped
        },
      }
    },
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseSeedArgs(argv)
  if (args.kind === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (args.kind === 'error') {
    process.stderr.write(`error: ${args.message}\n\n${USAGE}`)
    return 2
  }
  return run(args.options, defaultDeps())
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exitCode = 1
    },
  )
}
