/**
 * The images a film's facts name (a poster, portraits): the seed uploads each file through the
 * assets API (`lib/asset-uploads.ts`: the same bytes make no new asset) and sets the documents'
 * image fields to the asset; NDJSON for `sanity dataset import` names the files instead.
 */
import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

import {type AssetUploads, type EnsuredAsset, pendingAssetReference} from '../lib/asset-uploads'
import {isFatalBackendError} from '../lib/backend-error'
import {ImportError} from './errors'
import type {ReviewFiles} from './files'
import type {ImageFileValue, ImageSource, ImageValue, ImportedDocument} from './types'

/** What became of one image file. */
export interface ImageStep {
  file: string
  asset: EnsuredAsset
  /** The documents whose image field it is. */
  documentIds: string[]
}

/** The images of these documents (one per document and field: the first named wins, as with names). */
export function imagesFor(documents: readonly {_id: string}[], images: readonly ImageSource[]): ImageSource[] {
  const ids = new Set(documents.map((document) => document._id))
  const seen = new Set<string>()
  return images.filter((image) => {
    const key = `${image.documentId}#${image.field}`
    if (!ids.has(image.documentId) || seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * Finds or uploads every image (each file once) and returns the documents with their image fields
 * set. In a dry run an image not uploaded yet gets a stand-in reference, so the plan still shows
 * the documents it changes.
 */
export async function attachImages(
  documents: readonly ImportedDocument[],
  images: readonly ImageSource[],
  deps: {uploads: AssetUploads; files: Pick<ReviewFiles, 'readFile'>},
): Promise<{documents: ImportedDocument[]; steps: ImageStep[]}> {
  const wanted = imagesFor(documents, images)
  const steps = new Map<string, ImageStep>()
  for (const image of wanted) {
    const step = steps.get(image.file)
    if (step) {
      step.documentIds.push(image.documentId)
      continue
    }
    const bytes = await deps.files.readFile(image.file)
    let asset: EnsuredAsset
    try {
      asset = await deps.uploads.ensure('image', bytes, fileName(image.file))
    } catch (error) {
      // An unreachable or refusing backend gets the usual advice; a refused file is the file's problem.
      if (isFatalBackendError(error)) throw error
      throw new ImportError(`the ${image.field === 'poster' ? 'poster' : 'portrait'} for ${image.documentId} could not be uploaded: ${error instanceof Error ? error.message : String(error)}`, {
        fileName: image.file,
      })
    }
    steps.set(image.file, {file: image.file, asset, documentIds: [image.documentId]})
  }
  const value = (image: ImageSource): ImageValue => {
    const {asset} = steps.get(image.file)!
    return {_type: 'image', asset: asset.id ? {_type: 'reference', _ref: asset.id} : pendingAssetReference('image', asset.sha1), alt: image.alt}
  }
  return {documents: setImages(documents, wanted, value), steps: [...steps.values()]}
}

/**
 * The documents with image fields in the form `sanity dataset import` reads from NDJSON:
 * `{"_sanityAsset": "image@file:///absolute/path.jpg"}`; it uploads the file when it imports.
 * The path is absolute (Sanity's importer resolves no relative paths in a plain NDJSON file).
 */
export function withImageFiles(documents: readonly ImportedDocument[], images: readonly ImageSource[]): ImportedDocument[] {
  return setImages(documents, imagesFor(documents, images), (image): ImageFileValue => ({
    _type: 'image',
    _sanityAsset: `image@${pathToFileURL(resolve(image.file)).href}`,
    alt: image.alt,
  }))
}

function setImages(documents: readonly ImportedDocument[], images: readonly ImageSource[], value: (image: ImageSource) => ImageValue | ImageFileValue): ImportedDocument[] {
  return documents.map((document) => {
    const own = images.filter((image) => image.documentId === document._id)
    if (own.length === 0) return document
    return {...document, ...Object.fromEntries(own.map((image) => [image.field, value(image)]))} as ImportedDocument
  })
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path
}
