/**
 * Reading Sanity dataset archives: the `.tar.gz` that `sanity dataset export` (and `npm run
 * export`) writes — `data.ndjson`, `images/`, `files/`, `assets.json` — or a bare NDJSON file.
 * Asset fields in the data are `{"_sanityAsset": "image@file://./images/<file>", ...}`, the form
 * `sanity dataset import` expects; this module finds them and the bytes they name.
 */
import {randomUUID} from 'node:crypto'
import {mkdtemp, open, readdir, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {basename, dirname, isAbsolute, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {constants, gunzipSync} from 'node:zlib'

import {x as extractTar} from 'tar'

import type {AssetKind} from '../lib/asset-uploads'

export class ArchiveError extends Error {
  constructor(message: string, where?: {file: string; line?: number}) {
    super(where ? `${where.file}${where.line === undefined ? '' : `:${where.line}`}: ${message}` : message)
    this.name = 'ArchiveError'
  }
}

export type {AssetKind}

export interface ArchiveDocument {
  _id: string
  _type: string
  [field: string]: unknown
}

/** One `_sanityAsset` field: where it is, and the bytes it names. */
export interface AssetField {
  documentIndex: number
  /** Path of the object holding `_sanityAsset`, e.g. `['poster']` or `['gallery', 2]`. */
  path: (string | number)[]
  kind: AssetKind
  /** A local file (resolved inside the archive) or an http(s) URL. */
  source: string
}

export interface Archive {
  /** The file the documents came from (data.ndjson inside the archive, or the NDJSON itself). */
  dataFile: string
  documents: ArchiveDocument[]
  assetFields: AssetField[]
  /** Every file under `images/` and `files/`, including those no document references. */
  assetFiles: {kind: AssetKind; path: string}[]
  /** `assets.json`: asset document fields by `image-<sha1>` / `file-<sha1>`. */
  assetMeta: Record<string, Record<string, unknown>>
  /** Removes the temporary extraction folder. */
  cleanup(): Promise<void>
}

const ASSET_REFERENCE = /^(image|file)@(.+)$/s

async function firstBytes(path: string, count: number): Promise<Buffer> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(count)
    const {bytesRead} = await handle.read(buffer, 0, count, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b
const isTar = (bytes: Uint8Array) => Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar'

/** Reads an archive or NDJSON file. Throws ArchiveError naming the file (and line) on bad input. */
export async function readArchive(path: string): Promise<Archive> {
  let info
  try {
    info = await stat(path)
  } catch {
    throw new ArchiveError('no such file', {file: path})
  }
  if (!info.isFile()) throw new ArchiveError('not a file', {file: path})
  const head = await firstBytes(path, 512)
  // A gzip stream is peeked at after decompression to tell a tarball from gzipped NDJSON.
  let tar = isTar(head)
  if (isGzip(head)) {
    const gunzip = (bytes: Buffer, partial: boolean) => {
      try {
        return gunzipSync(bytes, partial ? {finishFlush: constants.Z_SYNC_FLUSH} : {})
      } catch (error) {
        throw new ArchiveError(`not a readable gzip file (${error instanceof Error ? error.message : String(error)})`, {file: path})
      }
    }
    tar = isTar(gunzip(await firstBytes(path, 64 * 1024), true))
    if (!tar) return fromNdjson(gunzip(await readFile(path), false).toString('utf8'), path, dirname(resolve(path)), async () => {})
  }
  if (!tar) return fromNdjson(await readFile(path, 'utf8'), path, dirname(resolve(path)), async () => {})

  const folder = await mkdtemp(join(tmpdir(), 'sanity-archive-'))
  const cleanup = () => rm(folder, {recursive: true, force: true})
  try {
    await extractTar({
      file: path,
      cwd: folder,
      strict: true,
      // Only plain files and folders: no links that could point outside the extraction folder.
      filter: (_entryPath, entry) => !('type' in entry) || entry.type === 'File' || entry.type === 'Directory',
    })
    const dataFile = await findDataFile(folder, path)
    const baseDir = dirname(dataFile)
    const archive = await fromNdjson(await readFile(dataFile, 'utf8'), `${path} (${relative(folder, dataFile)})`, baseDir, cleanup)
    archive.assetFiles = await listAssetFiles(baseDir)
    archive.assetMeta = await readAssetMeta(join(baseDir, 'assets.json'), path)
    return archive
  } catch (error) {
    await cleanup()
    if (error instanceof ArchiveError) throw error
    throw new ArchiveError(`cannot unpack the archive: ${error instanceof Error ? error.message : String(error)}`, {file: path})
  }
}

/** `data.ndjson` at the top or in the one folder `sanity dataset export` puts everything in. */
async function findDataFile(folder: string, archivePath: string): Promise<string> {
  const found: string[] = []
  for (const entry of await readdir(folder, {withFileTypes: true})) {
    if (entry.isFile() && entry.name.endsWith('.ndjson')) found.push(join(folder, entry.name))
    if (entry.isDirectory()) {
      for (const inner of await readdir(join(folder, entry.name), {withFileTypes: true})) {
        if (inner.isFile() && inner.name.endsWith('.ndjson')) found.push(join(folder, entry.name, inner.name))
      }
    }
  }
  if (found.length === 0) throw new ArchiveError('the archive has no data.ndjson', {file: archivePath})
  if (found.length > 1) throw new ArchiveError(`the archive has more than one NDJSON file (${found.map((file) => relative(folder, file)).join(', ')})`, {file: archivePath})
  return found[0] as string
}

async function listAssetFiles(baseDir: string): Promise<{kind: AssetKind; path: string}[]> {
  const files: {kind: AssetKind; path: string}[] = []
  for (const [kind, folder] of [['image', 'images'], ['file', 'files']] as const) {
    let names: string[] = []
    try {
      names = (await readdir(join(baseDir, folder), {withFileTypes: true})).filter((entry) => entry.isFile()).map((entry) => entry.name)
    } catch {
      continue
    }
    for (const name of names.sort()) files.push({kind, path: join(baseDir, folder, name)})
  }
  return files
}

async function readAssetMeta(path: string, archivePath: string): Promise<Record<string, Record<string, unknown>>> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return {}
  }
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object')
    return value as Record<string, Record<string, unknown>>
  } catch (error) {
    throw new ArchiveError(`assets.json is not a JSON object (${error instanceof Error ? error.message : String(error)})`, {file: archivePath})
  }
}

const ID = /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,127}$/

async function fromNdjson(text: string, file: string, baseDir: string, cleanup: () => Promise<void>): Promise<Archive> {
  const documents: ArchiveDocument[] = []
  const assetFields: AssetField[] = []
  const seen = new Map<string, number>()
  const lines = text.split('\n')
  for (const [index, rawLine] of lines.entries()) {
    const line = index + 1
    if (rawLine.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(rawLine)
    } catch {
      throw new ArchiveError('this line is not a JSON document', {file, line})
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ArchiveError('each line must be a JSON object (a document)', {file, line})
    const doc = value as Record<string, unknown>
    if (typeof doc._type !== 'string' || doc._type === '') throw new ArchiveError('the document has no _type', {file, line})
    if (doc._id !== undefined && (typeof doc._id !== 'string' || !ID.test(doc._id))) {
      throw new ArchiveError(`invalid _id ${JSON.stringify(doc._id)}: use letters, digits, ".", "_" or "-"`, {file, line})
    }
    const id = typeof doc._id === 'string' ? doc._id : randomUUID()
    const earlier = seen.get(id)
    if (earlier !== undefined) throw new ArchiveError(`_id "${id}" was already used on line ${earlier}`, {file, line})
    seen.set(id, line)
    const documentIndex = documents.length
    documents.push({...doc, _id: id, _type: doc._type})
    for (const field of findAssetFields(doc)) {
      const match = ASSET_REFERENCE.exec(field.value)
      if (!match) throw new ArchiveError(`_sanityAsset at ${formatPath(field.path)} must look like "image@file://./images/<file>" (got ${JSON.stringify(field.value)})`, {file, line})
      assetFields.push({documentIndex, path: field.path, kind: match[1] as AssetKind, source: resolveSource(match[2] ?? '', baseDir, {file, line})})
    }
  }
  return {dataFile: file, documents, assetFields, assetFiles: [], assetMeta: {}, cleanup}
}

function findAssetFields(value: unknown, path: (string | number)[] = []): {path: (string | number)[]; value: string}[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => findAssetFields(item, [...path, index]))
  if (typeof value !== 'object' || value === null) return []
  const record = value as Record<string, unknown>
  if ('_sanityAsset' in record) return [{path, value: String(record._sanityAsset)}]
  return Object.entries(record).flatMap(([key, child]) => findAssetFields(child, [...path, key]))
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('') || '(document)'
}

/**
 * `file://./images/x.png` (relative to the data file) or an absolute `file://` path, which must stay
 * inside that folder so an archive cannot make the import read other files; or an http(s) URL.
 */
function resolveSource(location: string, baseDir: string, where: {file: string; line: number}): string {
  if (/^https?:\/\//i.test(location)) return location
  if (!/^file:\/\//i.test(location)) throw new ArchiveError(`unsupported asset location ${JSON.stringify(location)}: use file:// or http(s)://`, where)
  const path = location.startsWith('file://./') ? resolve(baseDir, decodeURIComponent(location.slice('file://./'.length))) : fileURLToPath(location)
  const inside = relative(baseDir, path)
  if (inside.startsWith('..') || isAbsolute(inside)) throw new ArchiveError(`asset ${JSON.stringify(location)} is outside the folder of the data file`, where)
  return path
}

/** The bytes an asset field or file names. */
export async function readAssetBytes(source: string): Promise<Buffer> {
  if (/^https?:\/\//i.test(source)) {
    const response = await fetch(source)
    if (!response.ok) throw new ArchiveError(`downloading ${source} answered HTTP ${response.status}`)
    return Buffer.from(await response.arrayBuffer())
  }
  try {
    return await readFile(source)
  } catch {
    throw new ArchiveError(`the asset file ${basename(source)} is missing from the archive`, {file: source})
  }
}
