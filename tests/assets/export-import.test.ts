/**
 * Portable to hosted Sanity: `npm run export` writes the archive `sanity dataset import` takes
 * (made by Sanity's own @sanity/export against the lake), `npm run import` loads it back in one
 * transaction, and Sanity's own @sanity/import loads it into the lake through the assets API, as
 * it would into a hosted project.
 */
import {execFile} from 'node:child_process'
import {createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import type {IdentifiedSanityDocumentStub, SanityClient, SanityDocument} from '@sanity/client'
import {sanityImport} from '@sanity/import'
import {list as listTar, x as extractTar} from 'tar'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {SanityTarget} from '../../lib/env'
import {defaultExportDeps as exportDeps, parseExportArgs, runExport} from '../../archive/export'
import {defaultImportDeps as importDeps, parseImportArgs, runImport} from '../../archive/import'
import {herDocuments} from '../helpers/lake'
import {clientFor, withoutSystemFields} from '../lake/helpers'
import {ROOT} from '../studio/support'
import {quadrants, sha1, startTestLake, TEST_TOKEN, tempDir, type TestLake} from './support'

const POSTER = readFileSync(join(ROOT, 'seed/her-2013-poster.jpg'))
const NOTES = Buffer.from('Her (2013) — production notes\n')

let t: TestLake
let work: string
let archive: string
const clients = new Map<string, SanityClient>()
const client = (dataset: string) => {
  let found = clients.get(dataset)
  if (!found) {
    found = clientFor(t.lake, TEST_TOKEN, dataset).withConfig({perspective: 'raw'})
    clients.set(dataset, found)
  }
  return found
}

function io(dataset: string) {
  const out: string[] = []
  const err: string[] = []
  const target: SanityTarget = {kind: 'lake', projectId: 'local', dataset, token: TEST_TOKEN, apiHost: t.lake.url}
  const common = {target: () => target, stdout: (text: string) => out.push(text), stderr: (text: string) => err.push(text)}
  return {
    exportDeps: {...exportDeps(), ...common},
    importDeps: {...importDeps(), ...common},
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  }
}

/** Every document of a dataset, without the fields each write changes, keyed by id. */
async function snapshot(dataset: string): Promise<Record<string, unknown>> {
  const docs = await client(dataset).fetch<SanityDocument[]>('*')
  return Object.fromEntries(
    docs.map((doc) => {
      const {uploadId: _upload, url, path, ...rest} = withoutSystemFields(doc) as Record<string, unknown>
      // Asset URLs and paths name their dataset; everything else must match.
      return [doc._id, {...rest, ...(typeof url === 'string' ? {url: url.replace(`/${dataset}/`, '/<dataset>/')} : {}), ...(typeof path === 'string' ? {path: path.replace(`/${dataset}/`, '/<dataset>/')} : {})}]
    }),
  )
}

beforeAll(async () => {
  t = await startTestLake()
  work = tempDir('export-import-')
  archive = join(work, 'production.tar.gz')
  const source = client('production')
  const her = herDocuments()
  const poster = await source.assets.upload('image', POSTER, {filename: 'her-2013-poster.jpg', title: 'Her poster', creditLine: 'Made for this project'})
  const still = await source.assets.upload('image', await quadrants(64, 48), {filename: 'still.png'})
  const notes = await source.assets.upload('file', NOTES, {filename: 'notes.txt', contentType: 'text/plain'})
  const transaction = source.transaction()
  for (const doc of her.documents) transaction.createOrReplace({...doc} as IdentifiedSanityDocumentStub)
  transaction
    .patch('film-her-2013', (patch) =>
      patch.set({
        poster: {
          _type: 'image',
          asset: {_type: 'reference', _ref: poster._id},
          alt: 'The Her poster',
          crop: {_type: 'sanity.imageCrop', top: 0.1, bottom: 0, left: 0, right: 0},
          hotspot: {_type: 'sanity.imageHotspot', x: 0.5, y: 0.4, width: 0.3, height: 0.3},
        },
      }),
    )
    .createOrReplace({_id: 'drafts.person-joaquin-phoenix', _type: 'person', name: 'Joaquin Phoenix (draft)', slug: {_type: 'slug', current: 'joaquin-phoenix'}, image: {_type: 'image', asset: {_type: 'reference', _ref: still._id}, alt: 'A still'}})
    .createOrReplace({_id: 'press-kit', _type: 'pressKit', files: [{_key: 'a', _type: 'file', asset: {_type: 'reference', _ref: notes._id}, title: 'Notes'}]})
  await transaction.commit()
})

afterAll(async () => {
  await t.stop()
})

describe('command-line arguments', () => {
  it('reads the export options, and refuses a missing --out or empty --types', () => {
    expect(parseExportArgs(['--out', 'a.tar.gz', '--dataset', 'staging', '--no-drafts', '--types', 'film, person', '--dry-run'])).toEqual({
      kind: 'run',
      options: {out: 'a.tar.gz', dataset: 'staging', assets: true, drafts: false, types: ['film', 'person'], dryRun: true},
    })
    expect(parseExportArgs(['--no-assets', '--out', 'b.tar.gz'])).toEqual({kind: 'run', options: {out: 'b.tar.gz', assets: false, drafts: true, dryRun: false}})
    expect(parseExportArgs([])).toEqual({kind: 'error', message: '--out <file.tar.gz> is required'})
    expect(parseExportArgs(['--out', 'x', '--types', ','])).toEqual({kind: 'error', message: '--types needs one or more type names, separated by commas'})
    expect(parseExportArgs(['--help'])).toEqual({kind: 'help'})
  })

  it('reads the import options, and refuses no file, two files or --replace with --missing', () => {
    expect(parseImportArgs(['backup.tar.gz'])).toEqual({kind: 'run', options: {file: 'backup.tar.gz', mode: 'create', dryRun: false}})
    expect(parseImportArgs(['x.ndjson', '--replace', '--dataset', 'staging', '--dry-run'])).toEqual({kind: 'run', options: {file: 'x.ndjson', mode: 'replace', dataset: 'staging', dryRun: true}})
    expect(parseImportArgs(['x.ndjson', '--missing'])).toMatchObject({kind: 'run', options: {mode: 'missing'}})
    expect(parseImportArgs([])).toEqual({kind: 'error', message: 'name one file to import (a .tar.gz archive or an .ndjson file)'})
    expect(parseImportArgs(['a', 'b'])).toEqual({kind: 'error', message: 'name one file to import (a .tar.gz archive or an .ndjson file)'})
    expect(parseImportArgs(['a', '--replace', '--missing'])).toEqual({kind: 'error', message: '--replace and --missing cannot be used together'})
  })
})

describe('npm run export', () => {
  it('writes the archive sanity dataset import takes, through @sanity/export', async () => {
    const run = io('production')
    expect(await runExport({out: archive, assets: true, drafts: true, dryRun: false}, run.exportDeps)).toBe(0)
    const documents = Object.keys(await snapshot('production')).filter((id) => !id.startsWith('image-') && !id.startsWith('file-')).length
    expect(run.stdout()).toBe(`Exported ${documents} documents and 3 assets from local lake local, dataset production to ${archive}.\n`)

    const entries: string[] = []
    await listTar({file: archive, onReadEntry: (entry) => entries.push(entry.path)})
    const prefix = entries[0]?.split('/')[0] ?? ''
    expect(prefix).toMatch(/^production-export-/)
    const files = entries.map((entry) => entry.slice(prefix.length + 1)).filter((entry) => entry && !entry.endsWith('/'))
    expect(files.sort()).toEqual(
      ['assets.json', 'data.ndjson', `files/${sha1(NOTES)}.txt`, `images/${sha1(POSTER)}-400x600.jpg`, `images/${sha1(await quadrants(64, 48))}-64x48.png`].sort(),
    )

    const unpacked = join(work, 'unpacked')
    mkdirSync(unpacked)
    await extractTar({file: archive, cwd: unpacked})
    const lines = readFileSync(join(unpacked, prefix, 'data.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)
    // Asset documents are not in the data; asset fields point into the archive, the rest of the field kept.
    expect(lines.filter((doc) => String(doc._type).startsWith('sanity.'))).toEqual([])
    expect(lines.find((doc) => doc._id === 'film-her-2013')?.poster).toEqual({
      _type: 'image',
      _sanityAsset: `image@file://./images/${sha1(POSTER)}-400x600.jpg`,
      alt: 'The Her poster',
      crop: {_type: 'sanity.imageCrop', top: 0.1, bottom: 0, left: 0, right: 0},
      hotspot: {_type: 'sanity.imageHotspot', x: 0.5, y: 0.4, width: 0.3, height: 0.3},
    })
    expect(lines.find((doc) => doc._id === 'press-kit')?.files).toEqual([{_key: 'a', _type: 'file', _sanityAsset: `file@file://./files/${sha1(NOTES)}.txt`, title: 'Notes'}])
    expect(lines.some((doc) => doc._id === 'drafts.person-joaquin-phoenix')).toBe(true)
    const meta = JSON.parse(readFileSync(join(unpacked, prefix, 'assets.json'), 'utf8')) as Record<string, Record<string, unknown>>
    expect(meta[`image-${sha1(POSTER)}`]).toMatchObject({originalFilename: 'her-2013-poster.jpg', title: 'Her poster', creditLine: 'Made for this project'})
    expect(readFileSync(join(unpacked, prefix, 'images', `${sha1(POSTER)}-400x600.jpg`))).toEqual(POSTER)
  })

  it('says what it would export on --dry-run, and writes nothing', async () => {
    const run = io('production')
    const out = join(work, 'dry.tar.gz')
    expect(await runExport({out, assets: true, drafts: true, dryRun: true}, run.exportDeps)).toBe(0)
    expect(run.stdout()).toMatch(/^Would export \d+ documents \(1 drafts\) and 3 assets from local lake local, dataset production to .*dry\.tar\.gz\.\nDry run: nothing was written\.\n$/)
    expect(existsSync(out)).toBe(false)
  })

  it('fails without an archive when an asset cannot be downloaded, instead of writing one that lacks it', async () => {
    const broken = client('broken')
    await broken.createOrReplace({_id: `image-${'a'.repeat(40)}-10x10-png`, _type: 'sanity.imageAsset', url: `${t.lake.url}/images/local/broken/${'a'.repeat(40)}-10x10.png`, sha1hash: 'a'.repeat(40)})
    const run = io('broken')
    const out = join(work, 'broken.tar.gz')
    expect(await runExport({out, assets: true, drafts: true, dryRun: false}, run.exportDeps)).toBe(1)
    expect(run.stderr()).toContain('1 of 1 asset files could not be downloaded')
    expect(run.stderr()).toContain('No archive was written.')
    expect(readdirSync(work).filter((name) => name.includes('broken'))).toEqual([])
  })
})

describe('npm run import', () => {
  it('loads the archive into another dataset: the same documents and the same (content-addressed) assets', async () => {
    const run = io('restored')
    expect(await runImport({file: archive, mode: 'create', dryRun: false}, run.importDeps)).toBe(0)
    expect(run.stdout()).toMatch(/^Imported \d+ documents into local lake local, dataset restored: \d+ created, 0 replaced, 0 left as they were\.\nAssets: 3 uploaded, 0 already there\.\n$/)
    expect(await snapshot('restored')).toEqual(await snapshot('production'))
    // The restored poster is served, with the editor's crop applied by URL.
    const poster = await fetch(`${t.lake.url}/images/local/restored/${sha1(POSTER)}-400x600.jpg?rect=0,60,400,540&w=100`)
    expect(poster.status).toBe(200)
  })

  it('refuses by default to overwrite, and leaves the dataset as it was; --missing and --replace do what they say', async () => {
    const before = await client('restored').fetch('*{_id, _rev}')
    const refused = io('restored')
    expect(await runImport({file: archive, mode: 'create', dryRun: false}, refused.importDeps)).toBe(1)
    expect(refused.stderr()).toContain('already exists')
    expect(refused.stderr()).toContain('Use --replace to overwrite existing documents, or --missing to skip them.')
    expect(await client('restored').fetch('*{_id, _rev}')).toEqual(before)

    const missing = io('restored')
    expect(await runImport({file: archive, mode: 'missing', dryRun: false}, missing.importDeps)).toBe(0)
    expect(missing.stdout()).toContain('0 created, 0 replaced')
    expect(missing.stdout()).toContain('Assets: 0 uploaded, 3 already there.')
    expect(await client('restored').fetch('*{_id, _rev}')).toEqual(before)

    const replace = io('restored')
    expect(await runImport({file: archive, mode: 'replace', dryRun: true}, replace.importDeps)).toBe(0)
    expect(replace.stdout()).toMatch(/Would import \d+ documents .*: 0 created, \d+ replaced, 0 left/)
    expect(replace.stdout()).toContain('Dry run: nothing was written.')
    expect(await client('restored').fetch('*{_id, _rev}')).toEqual(before)
  })

  it('removes the assets it uploaded when the transaction fails, so nothing is half-written', async () => {
    const folder = join(work, 'conflict')
    mkdirSync(join(folder, 'images'), {recursive: true})
    const fresh = await quadrants(33, 33)
    writeFileSync(join(folder, 'images', 'fresh.png'), fresh)
    writeFileSync(
      join(folder, 'data.ndjson'),
      [
        {_id: 'new-doc', _type: 'note', picture: {_type: 'image', _sanityAsset: 'image@file://./images/fresh.png'}},
        {_id: 'film-her-2013', _type: 'film', title: 'Conflicts with the existing film'},
      ]
        .map((doc) => JSON.stringify(doc))
        .join('\n'),
    )
    const run = io('restored')
    expect(await runImport({file: join(folder, 'data.ndjson'), mode: 'create', dryRun: false}, run.importDeps)).toBe(1)
    expect(run.stderr()).toContain('Nothing was written.')
    expect(await client('restored').fetch('count(*[sha1hash == $hash || _id == "new-doc"])', {hash: sha1(fresh)})).toBe(0)
    expect(existsSync(join(t.dir, 'datasets', 'restored.assets', 'images', `${sha1(fresh)}-33x33.png`))).toBe(false)
  })

  it('names the file and line of a bad document, and writes nothing', async () => {
    const file = join(work, 'bad.ndjson')
    writeFileSync(file, '{"_id": "a", "_type": "note"}\n{"_id": "b", "_type": "note"}\n{"_id": "c", "_type": \n')
    const run = io('untouched')
    expect(await runImport({file, mode: 'create', dryRun: false}, run.importDeps)).toBe(1)
    expect(run.stderr()).toBe(`error: ${file}:3: this line is not a JSON document\nNothing was written.\n`)
    const missingType = join(work, 'no-type.ndjson')
    writeFileSync(missingType, '{"_id": "a"}\n')
    expect(await runImport({file: missingType, mode: 'create', dryRun: false}, run.importDeps)).toBe(1)
    expect(run.stderr()).toContain(`${missingType}:1: the document has no _type`)
    expect(await client('untouched').fetch('count(*)')).toBe(0)
  })

  it('refuses asset paths that leave the folder of the data file', async () => {
    const file = join(work, 'escape.ndjson')
    writeFileSync(file, `${JSON.stringify({_id: 'x', _type: 'note', picture: {_sanityAsset: 'image@file://./../../etc/passwd'}})}\n`)
    const run = io('untouched')
    expect(await runImport({file, mode: 'create', dryRun: false}, run.importDeps)).toBe(1)
    expect(run.stderr()).toContain(`${file}:1: asset "file://./../../etc/passwd" is outside the folder of the data file`)
  })

  it('runs as a command: npm run export and npm run import against a lake named by the environment', async () => {
    const run = promisify(execFile)
    const env = {...process.env, SANITY_API_HOST: t.lake.url, SANITY_API_WRITE_TOKEN: TEST_TOKEN, SANITY_DATASET: 'production', SANITY_PROJECT_ID: ''}
    const out = join(work, 'command.tar.gz')
    const exported = await run(process.execPath, ['--import', 'tsx', 'scripts/export.ts', '--out', out], {cwd: ROOT, env})
    expect(exported.stdout).toContain(`and 3 assets from local lake local, dataset production to ${out}.`)
    const imported = await run(process.execPath, ['--import', 'tsx', 'scripts/import.ts', out, '--dataset', 'from-command'], {cwd: ROOT, env})
    expect(imported.stdout).toContain('Assets: 3 uploaded, 0 already there.')
    expect(await snapshot('from-command')).toEqual(await snapshot('production'))
  })
})

describe("Sanity's own importer (@sanity/import)", () => {
  it('loads the archive into the lake through the assets API, as it would into a hosted project', async () => {
    const target = client('sanity-import')
    const result = await sanityImport(createReadStream(archive), {client: target, operation: 'create'})
    expect(result.warnings).toEqual([])
    const expected = await snapshot('production')
    expect(result.numDocs).toBe(Object.keys(expected).filter((id) => !/^(image|file)-/.test(id)).length)
    expect(await snapshot('sanity-import')).toEqual(expected)
    const served = await fetch(`${t.lake.url}/images/local/sanity-import/${sha1(POSTER)}-400x600.jpg`)
    expect(Buffer.from(await served.arrayBuffer())).toEqual(POSTER)
  })

  it('re-imports over the same assets with replaceAssets, the same documents as before', async () => {
    // Without replaceAssets it would check each existing asset's url with node:https, which cannot
    // reach the lake's plain-HTTP loopback URLs (it retries, then fails): see the README.
    const target = client('sanity-import')
    const result = await sanityImport(createReadStream(archive), {client: target, operation: 'createOrReplace', replaceAssets: true})
    expect(result.warnings).toEqual([])
    expect(await snapshot('sanity-import')).toEqual(await snapshot('production'))
  })
})
