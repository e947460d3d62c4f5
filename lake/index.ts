/** The embedded local Content Lake: a Sanity-compatible HTTP API over SQLite. */
export {startLake, resolveLakeToken, type RunningLake, type StartLakeOptions} from './server'
export {
  createLakeHandler,
  DEFAULT_MAX_BODY_BYTES,
  sendJson,
  type LakeHandler,
  type LakeHandlerOptions,
  type LakeRequest,
  type LakeResponse,
  type RouteContext,
  type RouteHandler,
} from './http'
export {LakeStore, openLakeStore, isValidDatasetName, type LakeStoreOptions} from './store'
export {QueryPool, type QueryPoolOptions} from './pool'
export {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_QUERY_TIMEOUT_MS,
  MAX_JSON_DEPTH,
  MAX_QUERY_BYTES,
} from './limits'
export {parseSearchTerms} from './search'
export {
  Dataset,
  type ChangeEvent,
  type DocumentChange,
  type MutationOperation,
  type MutationResultItem,
  type QueryOptions,
  type TransactionOptions,
  type TransactionResult,
} from './dataset'
export {parseMutations, type LakeMutation} from './mutations'
export {parsePerspective, type Perspective} from './groq'
export {LakeError} from './errors'
export {DEFAULT_ASSET_OPTIONS, type AssetOptions} from './assets'
export {isPublicId, isValidDocumentId, type LakeDocument} from './documents'
