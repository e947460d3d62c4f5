/**
 * The export command as a library (`scripts/export.ts` is its entry): `npm run export -- --out
 * <file.tar.gz>` writes the dataset as the archive `sanity dataset
 * import` takes: `data.ndjson` (asset fields as `_sanityAsset: "image@file://./images/…"`),
 * `images/`, `files/` and `assets.json`. The archive is made by Sanity's own exporter
 * (`@sanity/export`) reading the lake's `/data/export` and asset URLs, as it would a hosted project.
 */
import {mkdir, rename, rm} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import type {SanityClient} from '@sanity/client'
import {exportDataset} from '@sanity/export'

import {commandClient, resolveTarget, type SanityTarget} from '../lib/env'
import type {CliArgs} from '../lib/cli'
import {describeBackendError, describeTarget} from '../lib/backend-error'

export const EXPORT_USAGE = `Usage: npm run export -- --out <file.tar.gz> [--dataset <name>] [--no-assets] [--no-drafts] [--types <a,b>] [--dry-run]

Writes the dataset as a .tar.gz that "sanity dataset import" (and "npm run import") loads:
data.ndjson, images/, files/ and assets.json.

  --out <path>      Where to write the archive (replaced atomically if it exists).
  --dataset <name>  Dataset to export (default: SANITY_DATASET, else production).
  --no-assets       Leave out asset files and the fields that reference them.
  --no-drafts       Leave out drafts.
  --types <a,b>     Only these document types (asset documents are kept unless --no-assets).
  --dry-run         Say what would be exported, and write nothing.
  -h, --help        Show this help.

The source comes from lib/env.ts: the local lake (start it with "npm run lake" or "npm start")
or, with SANITY_PROJECT_ID, SANITY_DATASET and SANITY_API_WRITE_TOKEN, a hosted project.
`

export interface ExportOptions {
  out: string
  dataset?: string
  assets: boolean
  drafts: boolean
  types?: string[]
  dryRun: boolean
}

export interface ExportDeps {
  target(): SanityTarget
  createClient(target: SanityTarget): SanityClient
  exportDataset: typeof exportDataset
  stdout(text: string): void
  stderr(text: string): void
}

export type ExportArgs = CliArgs<ExportOptions>

export function parseExportArgs(argv: readonly string[]): ExportArgs {
  try {
    const {values, positionals} = parseArgs({
      args: [...argv],
      options: {
        out: {type: 'string'},
        dataset: {type: 'string'},
        'no-assets': {type: 'boolean', default: false},
        'no-drafts': {type: 'boolean', default: false},
        types: {type: 'string'},
        'dry-run': {type: 'boolean', default: false},
        help: {type: 'boolean', short: 'h', default: false},
      },
      strict: true,
      allowPositionals: true,
    })
    if (values.help) return {kind: 'help'}
    if (positionals.length > 0) return {kind: 'error', message: `unexpected argument "${positionals[0]}"`}
    if (!values.out) return {kind: 'error', message: '--out <file.tar.gz> is required'}
    if (values.dataset === '') return {kind: 'error', message: '--dataset needs a name'}
    const types = values.types?.split(',').map((type) => type.trim()).filter(Boolean)
    if (values.types !== undefined && !types?.length) return {kind: 'error', message: '--types needs one or more type names, separated by commas'}
    return {
      kind: 'run',
      options: {
        out: values.out,
        ...(values.dataset === undefined ? {} : {dataset: values.dataset}),
        assets: !values['no-assets'],
        drafts: !values['no-drafts'],
        ...(types ? {types} : {}),
        dryRun: values['dry-run'],
      },
    }
  } catch (error) {
    return {kind: 'error', message: error instanceof Error ? error.message : String(error)}
  }
}

const ASSET_TYPES = ['sanity.imageAsset', 'sanity.fileAsset']

/** Runs one export; returns the process exit code. A failed export leaves no (partial) archive behind. */
export async function runExport(options: ExportOptions, deps: ExportDeps): Promise<number> {
  const resolved = deps.target()
  const target: SanityTarget = options.dataset ? {...resolved, dataset: options.dataset} : resolved
  const where = describeTarget(target)
  if (!target.token) {
    deps.stderr(`error: exporting reads drafts and asset files, so it needs a token: ${target.kind === 'lake' ? 'start the lake once ("npm run lake") so it writes .lake/token, or set SANITY_API_WRITE_TOKEN' : 'set SANITY_API_WRITE_TOKEN to a token that can read the dataset'}.\n`)
    return 1
  }
  const client = deps.createClient(target)
  // Asset documents travel with the types asked for, or their references would point at nothing.
  const types = options.types && options.assets ? [...new Set([...options.types, ...ASSET_TYPES])] : options.types
  let counts: {documents: number; drafts: number; assets: number}
  try {
    counts = await client.fetch(
      `{
        "documents": count(*[!(_id in path("_.**")) && !(_type in $assetTypes) && ($types == null || _type in $types) && ($drafts || !(_id in path("drafts.**")))]),
        "drafts": count(*[_id in path("drafts.**") && ($types == null || _type in $types)]),
        "assets": count(*[_type in $assetTypes])
      }`,
      {assetTypes: ASSET_TYPES, types: types ?? null, drafts: options.drafts},
    )
  } catch (error) {
    deps.stderr(`error: ${describeBackendError(error, target, {rerun: 'the export'}).replace('Nothing was written.', 'Nothing was exported.')}\n`)
    return 1
  }
  const expectedAssets = options.assets ? counts.assets : 0
  const summary = `${counts.documents} documents${options.drafts ? ` (${counts.drafts} drafts)` : ''} and ${expectedAssets} assets from ${where}`
  if (options.dryRun) {
    deps.stdout(`Would export ${summary} to ${options.out}.\nDry run: nothing was written.\n`)
    return 0
  }

  const out = resolve(options.out)
  await mkdir(dirname(out), {recursive: true})
  const temporary = join(dirname(out), `.${basename(out)}.${process.pid}.${Date.now()}.tmp`)
  const steps = new Set<string>()
  try {
    const result = await deps.exportDataset({
      client,
      dataset: target.dataset,
      outputPath: temporary,
      assets: options.assets,
      drafts: options.drafts,
      ...(types ? {types} : {}),
      compress: true,
      assetConcurrency: 4,
      onProgress: ({step}) => {
        if (!steps.has(step)) deps.stderr(`${step}\n`)
        steps.add(step)
      },
    })
    // @sanity/export skips assets whose URL answers 401/403/404 with a warning; an archive missing some is not a backup.
    if (result.assetCount < expectedAssets) {
      throw new Error(
        `${expectedAssets - result.assetCount} of ${expectedAssets} asset files could not be downloaded (see the warnings above). ` +
          (target.kind === 'lake' ? 'Asset URLs name the lake that stored them; if it now runs on another port, start it on the old one to export.' : 'Check that the token can read the assets.'),
      )
    }
    await rename(temporary, out)
    deps.stdout(`Exported ${result.documentCount} documents and ${result.assetCount} assets from ${where} to ${options.out}.\n`)
    return 0
  } catch (error) {
    await rm(temporary, {force: true})
    deps.stderr(`error: export failed: ${error instanceof Error ? error.message : String(error)}\nNo archive was written.\n`)
    return 1
  }
}

export function defaultExportDeps(): ExportDeps {
  return {
    target: () => resolveTarget(),
    createClient: commandClient,
    exportDataset,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }
}

