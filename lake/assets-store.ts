import {randomBytes} from 'node:crypto'
import {chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync} from 'node:fs'
import {join} from 'node:path'

import {isAssetFilename, isFileAssetId, isImageAssetId, parseAssetFilename, parseAssetId} from '@sanity/asset-utils'

import type {ChangeEvent, Dataset} from './dataset'
import type {LakeDocument} from './documents'
import type {LakeStore} from './store'

/**
 * Asset bytes, content-addressed, in a folder beside each dataset's database:
 * `<data>/datasets/<name>.assets/images/<sha1>-<w>x<h>.<ext>` and `.../files/<sha1>.<ext>`
 * (the last segment of the CDN path, so a served URL maps to one file without a lookup).
 *
 * The document is the authority. Bytes are made durable (temp file, fsync, rename) before
 * the asset document's transaction commits, and removed after a committed transaction
 * deletes the document. A crash between the two steps leaves only a file without a
 * document, which the sweep at the next open removes; a document never points at
 * bytes that were not completely written.
 */

export const IMAGE_ASSET_TYPE = 'sanity.imageAsset'
export const FILE_ASSET_TYPE = 'sanity.fileAsset'
export type AssetKind = 'image' | 'file'

const FOLDER: Record<AssetKind, string> = {image: 'images', file: 'files'}
const TEMP = '.tmp'
// Same modes the lake uses for its token: asset bytes may belong to drafts and private documents' fields.
const DIR_MODE = 0o700
const FILE_MODE = 0o600

export function isAssetDocumentType(type: string): boolean {
  return type === IMAGE_ASSET_TYPE || type === FILE_ASSET_TYPE
}

/** The stored file name of an asset document id (`image-<sha1>-<w>x<h>-<ext>` → `<sha1>-<w>x<h>.<ext>`). */
export function assetFileName(id: string): {kind: AssetKind; fileName: string} | undefined {
  if (!isImageAssetId(id) && !isFileAssetId(id)) return undefined
  const parts = parseAssetId(id)
  if (!/^[a-f0-9]{40}$/.test(parts.assetId)) return undefined
  return parts.type === 'image'
    ? {kind: 'image', fileName: `${parts.assetId}-${parts.width}x${parts.height}.${parts.extension}`}
    : {kind: 'file', fileName: `${parts.assetId}.${parts.extension}`}
}

/** The asset document id a stored (or served) file name belongs to, if it is one. */
export function assetIdOfFile(kind: AssetKind, fileName: string): string | undefined {
  if (!isAssetFilename(fileName)) return undefined
  const parts = parseAssetFilename(fileName)
  if (parts.type !== kind || !/^[a-f0-9]{40}$/.test(parts.assetId)) return undefined
  return parts.type === 'image'
    ? `image-${parts.assetId}-${parts.width}x${parts.height}-${parts.extension}`
    : `file-${parts.assetId}-${parts.extension}`
}

/** One dataset's asset folder. */
export class AssetFiles {
  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
  }

  /** Where the bytes of asset document `id` live (whether or not they are there). */
  pathOf(id: string): string | undefined {
    const name = assetFileName(id)
    return name && join(this.dir, FOLDER[name.kind], name.fileName)
  }

  has(id: string): boolean {
    const path = this.pathOf(id)
    if (!path) return false
    try {
      return statSync(path).isFile()
    } catch {
      return false
    }
  }

  read(id: string): Buffer | undefined {
    const path = this.pathOf(id)
    if (!path) return undefined
    try {
      return readFileSync(path)
    } catch {
      return undefined
    }
  }

  /** Stores the bytes durably under the id's name: a reader sees no file or the whole file. */
  write(id: string, bytes: Uint8Array): void {
    const target = this.pathOf(id)
    const name = assetFileName(id)
    if (!target || !name) throw new Error(`"${id}" is not an asset document id`)
    const folder = join(this.dir, FOLDER[name.kind])
    const temp = join(this.dir, TEMP)
    for (const dir of [this.dir, folder, temp]) ensureDir(dir)
    const tempFile = join(temp, `${name.fileName}.${randomBytes(6).toString('hex')}`)
    const fd = openSync(tempFile, 'wx', FILE_MODE)
    try {
      let offset = 0
      while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    try {
      chmodSync(tempFile, FILE_MODE)
      renameSync(tempFile, target)
    } catch (error) {
      rmSync(tempFile, {force: true})
      throw error
    }
    syncDir(folder)
  }

  remove(id: string): void {
    const path = this.pathOf(id)
    if (path) rmSync(path, {force: true})
  }

  /** Removes bytes no asset document owns (and temp files of interrupted writes). Returns how many. */
  sweep(ownedIds: ReadonlySet<string>): number {
    let removed = 0
    rmSync(join(this.dir, TEMP), {recursive: true, force: true})
    for (const kind of ['image', 'file'] as const) {
      let names: string[]
      try {
        names = readdirSync(join(this.dir, FOLDER[kind]))
      } catch {
        continue
      }
      for (const name of names) {
        const id = assetIdOfFile(kind, name)
        if (id && ownedIds.has(id)) continue
        rmSync(join(this.dir, FOLDER[kind], name), {force: true, recursive: true})
        removed++
      }
    }
    return removed
  }
}

function ensureDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: DIR_MODE})
  chmodSync(dir, DIR_MODE)
}

/** Makes a rename durable (directory entries are only persisted by syncing the folder). */
function syncDir(dir: string): void {
  let fd: number | undefined
  try {
    fd = openSync(dir, 'r')
    fsyncSync(fd)
  } catch {
    // Some platforms cannot open folders for syncing; the file itself is already synced.
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

const attachedStores = new WeakSet<LakeStore>()
const filesByDataset = new WeakMap<Dataset, AssetFiles>()

export function assetFolderOf(store: LakeStore, dataset: string): string {
  return join(store.dir, 'datasets', `${dataset}.assets`)
}

/**
 * Keeps every dataset's asset folder in step with its documents: orphaned bytes are swept when
 * the dataset opens, and bytes go when a committed transaction deletes their asset document
 * (through any path: mutate, actions, imports). Idempotent per store.
 */
export function attachAssetFiles(store: LakeStore, log: (line: string) => void = () => {}): void {
  if (attachedStores.has(store)) return
  attachedStores.add(store)
  store.onDatasetOpen((dataset) => {
    const files = new AssetFiles(assetFolderOf(store, dataset.name))
    filesByDataset.set(dataset, files)
    try {
      // Only ids in Sanity's asset scheme (`image-…`, `file-…`) name a file (assetFileName): two ranges of the id index, not a scan.
      const owned = new Set(
        ['image-', 'file-']
          .flatMap((prefix) => dataset.documentsWithPrefix(prefix))
          .filter((doc) => isAssetDocumentType(doc._type))
          .map((doc) => doc._id),
      )
      const removed = files.sweep(owned)
      if (removed > 0) log(`lake: removed ${removed} asset file(s) without an asset document in dataset "${dataset.name}"`)
    } catch (error) {
      log(`lake: could not sweep the asset folder of dataset "${dataset.name}": ${error instanceof Error ? error.message : String(error)}`)
    }
    dataset.subscribe((event: ChangeEvent) => {
      for (const change of event.changes) {
        if (change.after || !change.before || !isAssetDocumentType(change.before._type)) continue
        try {
          files.remove(change.id)
        } catch (error) {
          // The sweep at the next open removes it.
          log(`lake: could not remove the bytes of deleted asset ${change.id}: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
    })
  })
}

/** The asset folder of an open dataset (attachAssetFiles must have run on its store). */
export function assetFilesOf(store: LakeStore, dataset: Dataset): AssetFiles {
  let files = filesByDataset.get(dataset)
  if (!files) {
    // Opened before the store was attached (should not happen through the handler).
    files = new AssetFiles(assetFolderOf(store, dataset.name))
    filesByDataset.set(dataset, files)
  }
  return files
}

export type AssetDocument = LakeDocument & {_type: typeof IMAGE_ASSET_TYPE | typeof FILE_ASSET_TYPE}
