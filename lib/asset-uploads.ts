/**
 * Uploading local bytes as Sanity assets without duplicates, for every command that brings files
 * into a dataset (`npm run import`, the seed's images): an asset with the same sha1 is reused (as
 * the Studio does before it uploads), a new one goes through the assets API
 * (`client.assets.upload`, the local lake and a hosted project alike), and what a run uploaded can
 * be removed again when its transaction fails, so the dataset is left as it was.
 */
import {createHash} from 'node:crypto'

export type AssetKind = 'image' | 'file'

/** What uploading needs of a client; `sanityAssetClient` adapts `@sanity/client`. */
export interface AssetUploadClient {
  fetch<R>(query: string, params: Record<string, unknown>): Promise<R>
  uploadAsset(kind: AssetKind, bytes: Uint8Array, options: {filename: string}): Promise<{_id: string}>
  mutate(mutations: ReadonlyArray<{delete: {id: string}}>): Promise<unknown>
}

/** What happened to one file's bytes. */
export interface EnsuredAsset {
  kind: AssetKind
  sha1: string
  /** The asset document's id; undefined only for a dry run's new asset. */
  id: string | undefined
  action: 'existing' | 'uploaded' | 'would upload'
}

export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex')
}

/** Stands in for an asset a dry run did not upload: weak, so nothing checks that it exists. */
export function pendingAssetReference(kind: AssetKind, sha1: string): {_type: 'reference'; _ref: string; _weak: true} {
  return {_type: 'reference', _ref: `${kind}-${sha1}-pending`, _weak: true}
}

const EXISTING = /* groq */ `*[_type == $type && sha1hash == $hash][0]._id`

/** The uploads of one transaction's worth of documents. */
export class AssetUploads {
  /** Ids of the assets this instance created (not those it found). */
  readonly uploaded: string[] = []
  readonly #client: AssetUploadClient
  readonly #dryRun: boolean
  readonly #seen = new Map<string, Promise<EnsuredAsset>>()

  constructor(client: AssetUploadClient, options: {dryRun?: boolean} = {}) {
    this.#client = client
    this.#dryRun = options.dryRun ?? false
  }

  /** The asset for these bytes: found by sha1, else uploaded (a dry run only says it would). Same bytes, one lookup. */
  ensure(kind: AssetKind, bytes: Uint8Array, filename: string): Promise<EnsuredAsset> {
    const sha1 = sha1Hex(bytes)
    const key = `${kind}-${sha1}`
    let pending = this.#seen.get(key)
    if (!pending) {
      pending = this.#ensure(kind, sha1, bytes, filename)
      this.#seen.set(key, pending)
    }
    return pending
  }

  async #ensure(kind: AssetKind, sha1: string, bytes: Uint8Array, filename: string): Promise<EnsuredAsset> {
    const existing = await this.#client.fetch<string | null>(EXISTING, {type: `sanity.${kind}Asset`, hash: sha1})
    if (existing) return {kind, sha1, id: existing, action: 'existing'}
    if (this.#dryRun) return {kind, sha1, id: undefined, action: 'would upload'}
    const document = await this.#client.uploadAsset(kind, bytes, {filename})
    this.uploaded.push(document._id)
    return {kind, sha1, id: document._id, action: 'uploaded'}
  }

  /**
   * Deletes what this instance uploaded, after the transaction that was to use it failed. Throws
   * when that fails too (the caller says which assets stayed). An asset that someone else started
   * using meanwhile is protected by reference integrity: the delete is refused.
   */
  async discard(): Promise<void> {
    if (this.uploaded.length === 0) return
    await this.#client.mutate(this.uploaded.map((id) => ({delete: {id}})))
    this.uploaded.length = 0
  }
}

/** `@sanity/client` as an `AssetUploadClient`. */
export function sanityAssetClient(client: {
  fetch<R>(query: string, params: Record<string, unknown>): Promise<R>
  assets: {upload(kind: AssetKind, body: Buffer, options: {filename: string}): Promise<{_id: string}>}
  mutate(mutations: Array<{delete: {id: string}}>): Promise<unknown>
}): AssetUploadClient {
  return {
    fetch: (query, params) => client.fetch(query, params),
    uploadAsset: (kind, bytes, options) => client.assets.upload(kind, Buffer.from(bytes), options),
    mutate: (mutations) => client.mutate([...mutations]),
  }
}
