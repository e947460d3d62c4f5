/**
 * The seed/import command as a library: `runSeed(options, deps)` imports one review
 * file or a folder of them into a dataset (one transaction per review) or into one
 * NDJSON file. `scripts/seed.ts` parses the arguments and calls it; `npm start` uses
 * `seedOnStart` (./seed-on-start) instead, which never overwrites anything.
 */
import {existsSync} from 'node:fs'
import {mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Mutation as ClientMutation} from '@sanity/client'

import {AssetUploads, sanityAssetClient} from '../lib/asset-uploads'
import {describeBackendError, describeTarget, isFatalBackendError} from '../lib/backend-error'
import {commandClient, resolveTarget, type SanityTarget} from '../lib/env'
import {Combined} from './combine'
import {ImportError} from './errors'
import {loadReview, reviewFilesIn, type LoadedReview, type ReviewFiles} from './files'
import {attachImages, type ImageStep, withImageFiles} from './images'
import {toNdjson} from './ndjson'
import {barProgress, lineProgress, type ProgressReporter, type TerminalStream} from './progress'
import {deepEqual, fetchStored, mutationsFor, planSync, type DatasetClient, type SyncAction, type SyncStep} from './sync'
import type {ImportedDocument, ImportResult} from './types'

export const DEFAULT_REVIEW_FILE = 'seed/her-2013-user-review.txt'

export interface SeedOptions {
  /** One review file (the default when neither `file` nor `dir` is given). */
  file?: string
  /** A folder: every `*.txt` in it is a review. */
  dir?: string
  /** Facts for `file` (a folder's reviews find theirs by convention). */
  facts?: string
  /** Write NDJSON here instead of writing to a dataset. */
  out?: string
  dryRun: boolean
}

export interface SeedDeps extends ReviewFiles {
  writeFile(path: string, data: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  remove(path: string): Promise<void>
  mkdir(path: string): Promise<void>
  target(): SanityTarget
  createClient(target: SanityTarget): DatasetClient
  stdout(text: string): void
  stderr(text: string): void
  /** The folder-import display: a bar on a terminal, one line per file elsewhere, writing to `output`. */
  progress(totalFiles: number, output: {stdout(text: string): void; stderr(text: string): void}): ProgressReporter
  now(): number
}

/** Counts per document id over a whole run: a document counts once, by the strongest thing done to it. */
class Tally {
  private readonly actions = new Map<string, SyncAction>()
  failed = 0

  add(steps: readonly SyncStep[]): void {
    for (const step of steps) {
      const previous = this.actions.get(step.id)
      if (previous === 'create' || (previous === 'replace' && step.action === 'unchanged')) continue
      this.actions.set(step.id, step.action)
    }
  }

  count(action: SyncAction): number {
    return [...this.actions.values()].filter((value) => value === action).length
  }
}

const VERBS = {
  wet: {create: 'created', replace: 'replaced', unchanged: 'unchanged'},
  dry: {create: 'would create', replace: 'would replace', unchanged: 'unchanged'},
} as const

/** "1 document", "20 documents". */
function documentCount(count: number): string {
  return `${count} document${count === 1 ? '' : 's'}`
}

function stepSummary(steps: readonly SyncStep[], dryRun: boolean): string {
  const verbs = dryRun ? VERBS.dry : VERBS.wet
  const count = (action: SyncAction) => steps.filter((step) => step.action === action).length
  return `${documentCount(steps.length)} (${(['create', 'replace', 'unchanged'] as const).map((action) => `${count(action)} ${verbs[action]}`).join(', ')})`
}

/** A line per document (only the changed ones with `changedOnly`), then notes about drafts. */
function planLines(plan: readonly SyncStep[], dryRun: boolean, options: {changedOnly?: boolean} = {}): string[] {
  const verbs = dryRun ? VERBS.dry : VERBS.wet
  const width = Math.max(...Object.values(verbs).map((verb) => verb.length))
  return [
    ...plan
      .filter((step) => !options.changedOnly || step.action !== 'unchanged')
      .map((step) => `${verbs[step.action].padEnd(width)}  ${step.id}\n`),
    ...draftNotes(plan),
  ]
}

function draftNotes(plan: readonly SyncStep[]): string[] {
  return plan
    .filter((step) => step.hasDraft && step.action !== 'unchanged')
    .map((step) => `note: drafts.${step.id} (an editor's unpublished changes) was left as it is; publishing it would undo this import's changes to ${step.id}\n`)
}

const IMAGE_VERBS = {uploaded: 'uploaded', existing: 'unchanged', 'would upload': 'would upload'} as const

/** A line per image file: uploaded (or would be), or already there as an asset. */
function imageLines(steps: readonly ImageStep[], dryRun: boolean, options: {changedOnly?: boolean} = {}): string[] {
  // The same column as the document lines below them.
  const width = Math.max(...Object.values(dryRun ? VERBS.dry : VERBS.wet).map((verb) => verb.length))
  return steps
    .filter((step) => !options.changedOnly || step.asset.action !== 'existing')
    .map((step) => `${IMAGE_VERBS[step.asset.action].padEnd(width)}  ${step.asset.id ? `${step.asset.id} from ` : 'an image asset from '}${step.file}\n`)
}

/** Removes what a failed transaction's images uploaded; a failure to do so is a warning naming them. */
async function discardUploads(uploads: AssetUploads, deps: Pick<SeedDeps, 'stderr'>): Promise<void> {
  const ids = [...uploads.uploaded]
  try {
    await uploads.discard()
  } catch (error) {
    deps.stderr(`warning: could not remove the image asset(s) uploaded for the failed transaction (${ids.join(', ')}): ${error instanceof Error ? error.message : String(error)}\n`)
  }
}

/** Runs one import; returns the process exit code (0 all imported, 1 something failed). */
export async function runSeed(options: SeedOptions, deps: SeedDeps): Promise<number> {
  if (options.dir === undefined) return runOne(options, deps)
  return runFolder({...options, dir: options.dir}, deps)
}

/** One file: everything or nothing, with a line per document. */
async function runOne(options: SeedOptions, deps: SeedDeps): Promise<number> {
  const file = options.file ?? DEFAULT_REVIEW_FILE
  let loaded: LoadedReview
  try {
    loaded = await loadReview(file, deps, options.facts === undefined ? {} : {facts: options.facts})
  } catch (error) {
    if (error instanceof ImportError) {
      deps.stderr(`error: ${error.message}\n`)
      return 1
    }
    throw error
  }
  if (loaded.factsFile) deps.stdout(`Using film facts from ${loaded.factsFile}\n`)
  const {images} = loaded.result

  if (options.out !== undefined) {
    // `sanity dataset import` uploads the image files the NDJSON names.
    const documents = withImageFiles(loaded.result.documents, images)
    const stored = await readExisting(options.out, deps)
    if (stored instanceof ImportError) {
      deps.stderr(`error: ${stored.message}\n`)
      return 1
    }
    if (options.dryRun) {
      for (const line of planLines(planSync(documents, stored), true)) deps.stdout(line)
      deps.stdout(`Dry run: ${options.out} was not written.\n`)
      return 0
    }
    await writeAtomically(options.out, toNdjson(documents), deps)
    deps.stdout(`Wrote ${documents.length} documents to ${options.out}${imageFilesNote(images.length)}\n`)
    return 0
  }

  const target = deps.target()
  const client = deps.createClient(target)
  const uploads = new AssetUploads(client, {dryRun: options.dryRun})
  let plan: SyncStep[]
  let imageSteps: ImageStep[]
  try {
    const attached = await attachImages(loaded.result.documents, images, {uploads, files: deps})
    imageSteps = attached.steps
    plan = planSync(attached.documents, await fetchStored(client, attached.documents.map((document) => document._id)))
    const mutations = mutationsFor(plan)
    if (!options.dryRun && mutations.length > 0) await client.mutate(mutations)
  } catch (error) {
    await discardUploads(uploads, deps)
    deps.stderr(`error: ${error instanceof ImportError ? error.message : describeBackendError(error, target, SEED_WORDING)}\n`)
    return 1
  }
  for (const line of imageLines(imageSteps, options.dryRun)) deps.stdout(line)
  for (const line of planLines(plan, options.dryRun)) deps.stdout(line)
  const where = describeTarget(target)
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
}

/**
 * A folder: each review in its own transaction, so a bad file is reported and skipped
 * while the others import. People and films shared by several reviews are combined.
 */
async function runFolder(options: SeedOptions & {dir: string}, deps: SeedDeps): Promise<number> {
  const started = deps.now()
  if (options.facts !== undefined) {
    deps.stderr('error: --facts names the facts of one review; with --dir each review uses <film-slug>.facts.ts next to it\n')
    return 2
  }
  let files: string[]
  try {
    files = await reviewFilesIn(options.dir, deps)
  } catch (error) {
    if (error instanceof ImportError) {
      deps.stderr(`error: ${error.message}\n`)
      return 1
    }
    throw error
  }
  if (files.length === 0) {
    deps.stderr(`error: ${options.dir}: no review files (*.txt) in this folder\n`)
    return 1
  }

  const tally = new Tally()
  const combined = new Combined()
  const progress = deps.progress(files.length, deps)
  const usedFacts = new Map<string, {titles: string[]; matched: Set<string>}>()
  const stored = options.out === undefined ? undefined : await readExisting(options.out, deps)
  if (stored instanceof ImportError) {
    deps.stderr(`error: ${stored.message}\n`)
    return 1
  }
  const target = options.out === undefined ? deps.target() : undefined
  const client = target ? deps.createClient(target) : undefined
  // What this run already wrote (or found up to date), so shared documents are written once.
  const ensured = new Map<string, ImportedDocument>()
  let fatal: string | undefined

  for (const fileName of files) {
    if (fatal !== undefined) {
      tally.failed++
      progress.file({fileName, ok: false, error: `${fileName}: not imported: ${fatal}`})
      continue
    }
    let loaded: LoadedReview
    try {
      loaded = await loadReview(fileName, deps)
      combined.add(loaded.result, fileName)
    } catch (error) {
      if (!(error instanceof ImportError)) throw error
      tally.failed++
      progress.file({fileName, ok: false, error: error.message})
      continue
    }
    noteOverrides(loaded, usedFacts)
    const built = documentsToWrite(combined, loaded.result, ensured)
    if (!client || !target) {
      const documents = withImageFiles(built, combined.imagesOf(built))
      // NDJSON: the plan against the existing file only feeds the summary.
      const steps = planSync(documents, stored ?? new Map())
      tally.add(steps)
      for (const document of documents) ensured.set(document._id, document)
      if (options.dryRun) for (const line of planLines(steps, true, {changedOnly: true})) progress.note(line)
      progress.file({fileName, ok: true, documents: documents.length, summary: documentCount(documents.length)})
      continue
    }
    const uploads = new AssetUploads(client, {dryRun: options.dryRun})
    try {
      const {documents, steps: imageSteps} = await attachImages(built, combined.imagesOf(built), {uploads, files: deps})
      const steps = planSync(documents, await fetchStored(client, documents.map((document) => document._id)))
      const mutations = mutationsFor(steps)
      if (!options.dryRun && mutations.length > 0) await client.mutate(mutations)
      tally.add(steps)
      for (const document of built) ensured.set(document._id, document)
      const lines = [...imageLines(imageSteps, options.dryRun, {changedOnly: true}), ...(options.dryRun ? planLines(steps, true, {changedOnly: true}) : draftNotes(steps))]
      for (const line of lines) progress.note(line)
      progress.file({fileName, ok: true, documents: documents.length, summary: stepSummary(steps, options.dryRun)})
    } catch (error) {
      await discardUploads(uploads, deps)
      tally.failed++
      const message = error instanceof ImportError ? error.message : describeBackendError(error, target, SEED_WORDING)
      progress.file({fileName, ok: false, error: `${fileName}: ${message}`})
      // An unreachable or refusing backend fails every file alike: say it once per file, try no more.
      if (isFatalBackendError(error)) fatal = message
    }
  }
  progress.done()

  for (const [factsFile, {titles, matched}] of usedFacts) {
    for (const title of titles) {
      if (!matched.has(title)) deps.stderr(`warning: ${factsFile}: reviews[] has an entry for "${title}", but no review with that title was imported\n`)
    }
  }
  if (options.out !== undefined && !options.dryRun) {
    const all = combined.documents()
    const images = combined.imagesOf(all)
    await writeAtomically(options.out, toNdjson(withImageFiles(all, images)), deps)
    deps.stdout(`Wrote ${all.length} documents from ${files.length - tally.failed} of ${files.length} files to ${options.out}${imageFilesNote(images.length)}\n`)
  }
  const verbs = options.dryRun ? VERBS.dry : VERBS.wet
  const seconds = ((deps.now() - started) / 1000).toFixed(1)
  deps.stdout(
    `Summary: ${tally.count('create')} ${verbs.create}, ${tally.count('replace')} ${verbs.replace}, ${tally.count('unchanged')} unchanged, ${tally.failed} failed (${files.length} file${files.length === 1 ? '' : 's'} in ${seconds} s)\n`,
  )
  if (options.dryRun) deps.stdout(`Dry run: nothing was written to ${options.out ?? (target ? describeTarget(target) : '')}.\n`)
  return tally.failed > 0 ? 1 : 0
}

/**
 * A review's documents as combined so far (its people, the people its film credits,
 * the film, the review), less what this run already wrote in the same form.
 */
function documentsToWrite(combined: Combined, result: ImportResult, ensured: ReadonlyMap<string, ImportedDocument>): ImportedDocument[] {
  return combined.documentsFor(result).filter((document) => {
    const done = ensured.get(document._id)
    return done === undefined || !deepEqual(done, document)
  })
}

function noteOverrides(loaded: LoadedReview, used: Map<string, {titles: string[]; matched: Set<string>}>): void {
  if (!loaded.factsFile || !loaded.facts?.reviews) return
  const entry = used.get(loaded.factsFile) ?? {titles: loaded.facts.reviews.map((review) => review.title), matched: new Set<string>()}
  if (loaded.parsed.overrides) entry.matched.add(loaded.parsed.overrides.title)
  used.set(loaded.factsFile, entry)
}

/** How `--out` says that images travel as file references. */
function imageFilesNote(count: number): string {
  if (count === 0) return ''
  return ` (${count === 1 ? '1 image field names a local file' : `${count} image fields name local files`} as _sanityAsset; "sanity dataset import" uploads ${count === 1 ? 'it' : 'them'})`
}


/** The documents of an existing NDJSON file by id (what `--out --dry-run` compares with). */
async function readExisting(path: string, deps: SeedDeps): Promise<Map<string, {_id: string}> | ImportError> {
  if (!(await deps.exists(path))) return new Map()
  const text = new TextDecoder().decode(await deps.readFile(path))
  const documents = new Map<string, {_id: string}>()
  const lines = text.split('\n')
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue
    let document: unknown
    try {
      document = JSON.parse(line)
    } catch {
      return new ImportError('not NDJSON: this line is not a JSON document', {fileName: path, line: index + 1})
    }
    if (typeof document === 'object' && document !== null && '_id' in document && typeof document._id === 'string') {
      documents.set(document._id, document as {_id: string})
    }
  }
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

/** How the seed words backend failures: one review is one transaction. */
const SEED_WORDING = {rerun: 'the seed', unit: 'this review'} as const

/** A dataset client over `@sanity/client` that sees drafts (to leave them alone) and writes atomically. */
export function sanityDatasetClient(target: SanityTarget): DatasetClient {
  const client = commandClient(target)
  const assets = sanityAssetClient(client)
  return {
    fetch: <R>(query: string, params: Record<string, unknown>) => client.fetch<R>(query, params),
    uploadAsset: assets.uploadAsset,
    mutate: async (mutations) => {
      // The shapes are Sanity's own; the client's types want index signatures.
      await client.mutate(mutations as unknown as ClientMutation[], {returnDocuments: false, visibility: 'sync'})
    },
  }
}

/** Real files, the real client, the process's output; a bar on a terminal unless CI is set. */
export function defaultSeedDeps(options: {terminal?: TerminalStream} = {}): SeedDeps {
  const terminal = options.terminal ?? (process.stdout as TerminalStream)
  const deps: SeedDeps = {
    readFile: async (path) => new Uint8Array(await readFile(path)),
    exists: async (path) => existsSync(path),
    listDir: (path) => readdir(path),
    loadFacts: async (path) => {
      const module: unknown = await import(pathToFileURL(resolve(path)).href)
      return typeof module === 'object' && module !== null && 'default' in module ? module.default : module
    },
    writeFile: (path, data) => writeFile(path, data, 'utf8'),
    rename: (from, to) => rename(from, to),
    remove: (path) => rm(path, {force: true}),
    mkdir: async (path) => {
      await mkdir(path, {recursive: true})
    },
    target: () => resolveTarget(),
    createClient: sanityDatasetClient,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    progress: (totalFiles, output) =>
      terminal.isTTY === true && !process.env.CI ? barProgress(terminal, totalFiles, output) : lineProgress(output),
    now: () => performance.now(),
  }
  return deps
}
