/**
 * The import command as a library (`scripts/import.ts` is its entry): `npm run import --
 * <file.tar.gz | file.ndjson>` loads a dataset archive (what `npm run export`
 * and `sanity dataset export` write) or an NDJSON file into the dataset: the assets through the
 * assets API, then every document in one transaction, so a failed import leaves the dataset as it
 * was (assets uploaded for it are removed again). `runImport` takes its I/O as deps.
 */
import {basename} from 'node:path'
import {parseArgs} from 'node:util'

import type {Mutation, SanityClient} from '@sanity/client'

import {AssetUploads, pendingAssetReference, sanityAssetClient, sha1Hex} from '../lib/asset-uploads'
import {describeBackendError, describeTarget} from '../lib/backend-error'
import type {CliArgs} from '../lib/cli'
import {commandClient, resolveTarget, type SanityTarget} from '../lib/env'
import {type Archive, ArchiveError, type AssetKind, formatPath, readArchive, readAssetBytes} from './format'

export const IMPORT_USAGE = `Usage: npm run import -- <file.tar.gz | file.ndjson> [--replace | --missing] [--dataset <name>] [--dry-run]

Loads a dataset archive (from "npm run export" or "sanity dataset export") or an NDJSON file
into the dataset in one transaction: every document or, on any error, none.

  --replace         Replace documents that already exist (default: refuse if any exists).
  --missing         Only create documents that do not exist yet; leave the others alone.
  --dataset <name>  Target dataset (default: SANITY_DATASET, else production).
  --dry-run         Say what would be created, replaced and uploaded, and write nothing.
  -h, --help        Show this help.

The target comes from lib/env.ts: the local lake (start it with "npm run lake" or "npm start")
or, with SANITY_PROJECT_ID, SANITY_DATASET and SANITY_API_WRITE_TOKEN, a hosted project.
`

export type ImportMode = 'create' | 'replace' | 'missing'

export interface ImportOptions {
  file: string
  mode: ImportMode
  dataset?: string
  dryRun: boolean
}

export interface ImportDeps {
  target(): SanityTarget
  createClient(target: SanityTarget): SanityClient
  stdout(text: string): void
  stderr(text: string): void
}

export type ImportArgs = CliArgs<ImportOptions>

export function parseImportArgs(argv: readonly string[]): ImportArgs {
  try {
    const {values, positionals} = parseArgs({
      args: [...argv],
      options: {
        replace: {type: 'boolean', default: false},
        missing: {type: 'boolean', default: false},
        dataset: {type: 'string'},
        'dry-run': {type: 'boolean', default: false},
        help: {type: 'boolean', short: 'h', default: false},
      },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) return {kind: 'help'}
    if (positionals.length !== 1 || !positionals[0]) return {kind: 'error', message: 'name one file to import (a .tar.gz archive or an .ndjson file)'}
    if (values.replace && values.missing) return {kind: 'error', message: '--replace and --missing cannot be used together'}
    if (values.dataset === '') return {kind: 'error', message: '--dataset needs a name'}
    return {
      kind: 'run',
      options: {
        file: positionals[0],
        mode: values.replace ? 'replace' : values.missing ? 'missing' : 'create',
        ...(values.dataset === undefined ? {} : {dataset: values.dataset}),
        dryRun: values['dry-run'],
      },
    }
  } catch (error) {
    return {kind: 'error', message: error instanceof Error ? error.message : String(error)}
  }
}

/** Fields of an exported asset document that describe the editor's input, not the stored bytes. */
const NOT_RESTORABLE = new Set(['_id', '_type', '_rev', '_createdAt', '_updatedAt', 'assetId', 'extension', 'mimeType', 'path', 'sha1hash', 'size', 'uploadId', 'url'])

interface PlannedAsset {
  kind: AssetKind
  source: string
  sha1: string
  bytes: Buffer
  filename: string
  /** Set once known: already in the dataset, or uploaded by this run. */
  id?: string
  uploaded: boolean
}

/** Runs one import; returns the process exit code. */
export async function runImport(options: ImportOptions, deps: ImportDeps): Promise<number> {
  let archive: Archive
  try {
    archive = await readArchive(options.file)
  } catch (error) {
    if (error instanceof ArchiveError) {
      deps.stderr(`error: ${error.message}\nNothing was written.\n`)
      return 1
    }
    throw error
  }
  const resolved = deps.target()
  const target: SanityTarget = options.dataset ? {...resolved, dataset: options.dataset} : resolved
  const where = describeTarget(target)
  const client = deps.createClient(target)
  const uploads = new AssetUploads(sanityAssetClient(client), {dryRun: options.dryRun})
  try {
    const assets = await planAssets(archive)
    const {documents, assetDocuments, skipped} = splitDocuments(archive)
    for (const id of skipped) deps.stderr(`note: skipping system document ${id}\n`)

    for (const asset of assets.values()) {
      const ensured = await uploads.ensure(asset.kind, asset.bytes, asset.filename)
      asset.id = ensured.id
      asset.uploaded = ensured.action === 'uploaded'
    }

    const resolvedDocuments = documents.map((doc) => withAssetReferences(doc, archive, assets))
    const mutations: Mutation[] = resolvedDocuments.map((doc) =>
      options.mode === 'replace' ? {createOrReplace: doc} : options.mode === 'missing' ? {createIfNotExists: doc} : {create: doc},
    )
    // What the archive says about its assets (title, alt text, original file name, …) goes onto the new asset documents.
    for (const asset of assets.values()) {
      if (!asset.uploaded || !asset.id) continue
      const meta = {...archive.assetMeta[`${asset.kind}-${asset.sha1}`], ...assetDocuments.get(asset.sha1)}
      const set = Object.fromEntries(Object.entries(meta).filter(([key]) => !NOT_RESTORABLE.has(key)))
      if (Object.keys(set).length > 0) mutations.push({patch: {id: asset.id, set}})
    }

    const result = mutations.length > 0 ? await client.mutate(mutations, {dryRun: options.dryRun, visibility: 'sync'}) : {results: []}
    const counts = {create: 0, update: 0, none: 0}
    const documentIds = new Set(resolvedDocuments.map((doc) => doc._id))
    for (const item of result.results) {
      if (documentIds.has(item.id) && item.operation in counts) counts[item.operation as keyof typeof counts]++
    }
    const present = [...assets.values()].filter((asset) => asset.id && !asset.uploaded).length
    const verb = options.dryRun ? 'Would import' : 'Imported'
    deps.stdout(
      `${verb} ${resolvedDocuments.length} documents into ${where}: ${counts.create} created, ${counts.update} replaced, ${counts.none} left as they were.\n` +
        `Assets: ${options.dryRun ? assets.size - present : uploads.uploaded.length} ${options.dryRun ? 'to upload' : 'uploaded'}, ${present} already there.\n` +
        (options.dryRun ? 'Dry run: nothing was written.\n' : ''),
    )
    return 0
  } catch (error) {
    // The transaction failed: remove the assets this run added, so the dataset is as it was.
    try {
      await uploads.discard()
    } catch (cleanupError) {
      deps.stderr(`warning: could not remove the ${uploads.uploaded.length} asset(s) uploaded before the failure (${uploads.uploaded.join(', ')}): ${cleanupError instanceof Error ? cleanupError.message : String(cleanupError)}\n`)
    }
    if (error instanceof ArchiveError) {
      deps.stderr(`error: ${error.message}\nNothing was written.\n`)
      return 1
    }
    const hint = options.mode === 'create' && /already exists/i.test(error instanceof Error ? error.message : '') ? ' Use --replace to overwrite existing documents, or --missing to skip them.' : ''
    deps.stderr(`error: ${describeBackendError(error, target, {rerun: 'the import'})}${hint}\n`)
    return 1
  } finally {
    await archive.cleanup()
  }
}

/** Reads every asset the archive carries (referenced or not) once, keyed by kind and source. */
async function planAssets(archive: Archive): Promise<Map<string, PlannedAsset>> {
  const assets = new Map<string, PlannedAsset>()
  const sources = [...archive.assetFields.map(({kind, source}) => ({kind, source})), ...archive.assetFiles.map(({kind, path}) => ({kind, source: path}))]
  for (const {kind, source} of sources) {
    const key = `${kind}#${source}`
    if (assets.has(key)) continue
    const bytes = await readAssetBytes(source)
    const sha1 = sha1Hex(bytes)
    const meta = archive.assetMeta[`${kind}-${sha1}`]
    const filename = typeof meta?.originalFilename === 'string' ? meta.originalFilename : basename(source.split('?')[0] ?? source)
    assets.set(key, {kind, source, sha1, bytes, filename, uploaded: false})
  }
  return assets
}

/**
 * The documents to write. Asset documents in the data file are not written as such (the assets
 * API makes them from the bytes); their descriptive fields are kept, keyed by sha1.
 */
function splitDocuments(archive: Archive) {
  const documents: Archive['documents'] = []
  const assetDocuments = new Map<string, Record<string, unknown>>()
  const skipped: string[] = []
  for (const doc of archive.documents) {
    if (doc._id.startsWith('_.')) skipped.push(doc._id)
    else if (doc._type === 'sanity.imageAsset' || doc._type === 'sanity.fileAsset') {
      const kind = doc._type === 'sanity.imageAsset' ? 'image' : 'file'
      const hasBytes = archive.assetFiles.some((file) => file.kind === kind && basename(file.path).startsWith(String(doc.sha1hash)))
      if (!hasBytes) throw new ArchiveError(`asset document ${doc._id} has no bytes in the archive (expected under ${kind}s/)`, {file: archive.dataFile})
      assetDocuments.set(String(doc.sha1hash), doc)
    } else documents.push(doc)
  }
  return {documents, assetDocuments, skipped}
}

/** A copy of the document with each `_sanityAsset` replaced by a reference to its asset document. */
function withAssetReferences(doc: Archive['documents'][number], archive: Archive, assets: Map<string, PlannedAsset>): {_id: string; _type: string; [field: string]: unknown} {
  const index = archive.documents.indexOf(doc)
  const copy = structuredClone(doc)
  for (const field of archive.assetFields.filter((candidate) => candidate.documentIndex === index)) {
    const asset = assets.get(`${field.kind}#${field.source}`)
    let holder: unknown = copy
    for (const part of field.path) holder = (holder as Record<string | number, unknown>)[part]
    if (!asset || typeof holder !== 'object' || holder === null) throw new ArchiveError(`cannot place the asset at ${formatPath(field.path)} of ${doc._id}`)
    const object = holder as Record<string, unknown>
    delete object._sanityAsset
    object._type ??= field.kind
    // In a dry run, an asset not uploaded yet is stood in for by a weak reference.
    object.asset = asset.id ? {_type: 'reference', _ref: asset.id} : pendingAssetReference(field.kind, asset.sha1)
  }
  return copy
}

export function defaultImportDeps(): ImportDeps {
  return {
    target: () => resolveTarget(),
    createClient: commandClient,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }
}

