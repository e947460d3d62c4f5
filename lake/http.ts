import {createHash, randomUUID, timingSafeEqual} from 'node:crypto'
import type {IncomingHttpHeaders} from 'node:http'

import {z} from 'zod'

import {requestTargetUrl, UNREADABLE_TARGET} from '../lib/request-target'
import {type AssetOptions, registerAssetRoutes} from './assets'
import {isPublicId, isValidDocumentId} from './documents'
import {errorMessage, isLakeError, LakeError} from './errors'
import {parsePerspective} from './groq'
import {LAKE_TOKEN_USER_ID} from './history'
import {registerHistoryRoutes} from './history-api'
import {DEFAULT_HISTORY_RETENTION_DAYS, startLakeScheduler} from './scheduler'
import {assertJsonDepth, assertQuerySize, DEFAULT_QUERY_TIMEOUT_MS} from './limits'
import {handleListen} from './listen'
import type {LakeStore} from './store'

/** The parts of a request the lake uses; `node:http` and `node:http2` (compat API) requests both fit. */
export interface LakeRequest extends AsyncIterable<unknown> {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly headers: IncomingHttpHeaders
  resume(): unknown
  on(event: 'close', listener: () => void): unknown
}

/** The parts of a response the lake uses; `node:http` and `node:http2` (compat API) responses both fit. */
export interface LakeResponse {
  statusCode: number
  readonly headersSent: boolean
  readonly writableEnded: boolean
  setHeader(name: string, value: string | number | readonly string[]): unknown
  write(chunk: string | Uint8Array): boolean
  end(chunk?: string | Uint8Array): unknown
  once(event: 'drain' | 'close', listener: () => void): unknown
  on(event: 'close', listener: () => void): unknown
}

export interface RouteContext {
  req: LakeRequest
  res: LakeResponse
  method: string
  /** Path without the `/v<apiVersion>` prefix, e.g. `/data/query/production`. */
  path: string
  url: URL
  match: RegExpExecArray
  /** The version from the path (`2025-02-19`, `1`, `X`), if there was one. */
  apiVersion: string | undefined
  /** Whether the request carried the lake's token. */
  authenticated: boolean
  /** Who the caller is, for history (`author`) and listener events: a user id, undefined when anonymous. */
  author: string | undefined
  /** Aborted when the client goes away before the response is complete. */
  signal: AbortSignal
  store: LakeStore
  options: ResolvedHandlerOptions
  /** The request body, refused with 413 past `maxBodyBytes`. */
  readBody(): Promise<Buffer>
  /** The request body parsed as JSON (400 when it is not JSON or nests deeper than the limit). */
  readJson(): Promise<unknown>
  /** Answers with a JSON body. */
  send(statusCode: number, body: unknown, headers?: Record<string, string>): void
  /** Registers a long-lived response (e.g. an event stream); `end` runs when the lake closes. */
  trackStream(end: () => void): () => void
}

export type RouteHandler = (context: RouteContext) => void | Promise<void>

export interface LakeHandlerOptions {
  /** The token that grants writes and private reads. */
  token: string
  /** Request bodies above this size answer 413. Default 32 MiB. */
  maxBodyBytes?: number
  /** Interval of keepalive comments on listener streams. Default 15 s. */
  keepAliveMs?: number
  /** Project id reported to GROQ (`sanity::projectId()`). Default `local`. */
  projectId?: string
  /** Time budget of one query in ms (408 past it). Default 10 000. */
  queryTimeoutMs?: number
  /** Receives one line per server error. */
  log?: (line: string) => void
  /**
   * Browser origins that may call the API with credentials (like a Sanity project's CORS
   * origins): a list of exact origins (`https://studio.example:3333`) or a predicate. Other
   * origins get no CORS headers, so a browser lets their pages read nothing. Default: none.
   */
  corsOrigins?: readonly string[] | ((origin: string) => boolean)
  /** Limits of the assets API (uploads, image sizes, transform cache); see `lake/assets.ts`. */
  assets?: AssetOptions
  /**
   * The user id an authenticated request acts as (recorded as the author of its transactions).
   * Default: the lake token's robot user (`lake-token`). The local server names its Studio user.
   */
  authorOf?: (req: LakeRequest) => string | undefined
  /**
   * Days of document history kept (transactions and old revisions; 0 keeps everything).
   * Default 365. The lake's scheduler (lake/scheduler.ts) prunes older history and publishes
   * scheduled releases when due.
   */
  historyRetentionDays?: number
}

export type ResolvedHandlerOptions = Required<LakeHandlerOptions>

export interface LakeHandler {
  /** Answers every request; an unexpected error is logged and answered 500 without details. */
  (req: LakeRequest, res: LakeResponse): void
  /**
   * Answers the request and its `LakeError`s; an unexpected error rejects the promise instead,
   * for a server that keeps one error boundary around all of its routes.
   */
  handle(req: LakeRequest, res: LakeResponse): Promise<void>
  /**
   * Adds a route. `pattern` is matched against the path without its `/v<version>` prefix
   * (`/v2025-02-19/users/me` → `/users/me`). Routes added here are tried before the built-in ones.
   */
  route(method: string | readonly string[], pattern: RegExp, handler: RouteHandler): LakeHandler
  readonly store: LakeStore
  readonly options: ResolvedHandlerOptions
  /** Ends every open listener stream (used when the server closes). */
  closeStreams(): void
}

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024

interface Route {
  methods: readonly string[]
  pattern: RegExp
  handler: RouteHandler
}

const VERSION_PREFIX = /^\/v(\d{4}-\d{2}-\d{2}|\d+|X)(?=\/|$)/

/**
 * The lake's HTTP API as a transport-independent `(req, res)` function, usable with
 * `http.createServer(handler)` and `http2.createSecureServer({...}, handler)` alike.
 */
export function createLakeHandler(store: LakeStore, options: LakeHandlerOptions): LakeHandler {
  const resolved: ResolvedHandlerOptions = {
    maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
    keepAliveMs: 15_000,
    projectId: 'local',
    queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
    log: () => {},
    corsOrigins: [],
    assets: {},
    authorOf: () => undefined,
    historyRetentionDays: DEFAULT_HISTORY_RETENTION_DAYS,
    ...options,
  }
  if (!resolved.token) throw new Error('createLakeHandler needs a non-empty token')
  // Query workers start now rather than on the first query, which would otherwise wait for them.
  store.pool.warm()
  const scheduler = startLakeScheduler(store, {historyRetentionDays: resolved.historyRetentionDays, log: resolved.log})
  const tokenDigest = digest(resolved.token)
  const corsAllowed = corsPolicy(resolved.corsOrigins)
  const extraRoutes: Route[] = []
  const builtinRoutes: Route[] = []
  const streams = new Set<() => void>()

  const handler = ((req: LakeRequest, res: LakeResponse) => {
    dispatch(req, res).catch((error: unknown) => {
      const reference = randomUUID().slice(0, 8)
      resolved.log(`lake: ${req.method ?? 'GET'} ${String(req.url).slice(0, 200)} failed [${reference}]: ${errorStack(error)}`)
      sendJson(res, 500, internalErrorBody(reference))
    })
  }) as LakeHandler

  /** Answers the request; LakeErrors become their JSON answer, anything else rejects. */
  async function dispatch(req: LakeRequest, res: LakeResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase()
    let pathname = '/'
    const aborted = new AbortController()
    res.on('close', () => {
      if (!res.writableEnded) aborted.abort()
    })
    try {
      const origin = applyCors(req, res, corsAllowed)
      if (method === 'OPTIONS') {
        if (origin !== undefined && !origin.allowed) {
          throw new LakeError(
            403,
            'corsOriginNotAllowed',
            `Origin ${origin.value} is not allowed to call this API from a browser; add it as a CORS origin (npm start -- --cors-origin ${origin.value}, or LAKE_CORS_ORIGINS)`,
          )
        }
        res.statusCode = 204
        res.setHeader('access-control-allow-methods', 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS')
        const requested = req.headers['access-control-request-headers']
        res.setHeader('access-control-allow-headers', typeof requested === 'string' && requested ? requested : 'authorization, content-type')
        res.setHeader('access-control-max-age', '600')
        res.end()
        return
      }
      const url = parseRequestUrl(req.url)
      pathname = url.pathname
      const versionMatch = VERSION_PREFIX.exec(url.pathname)
      const path = versionMatch ? url.pathname.slice(versionMatch[0].length) || '/' : url.pathname
      const apiVersion = versionMatch?.[1]
      const authenticated = checkAuth(req.headers.authorization, tokenDigest)
      let allowedMethods: string[] = []
      for (const route of extraRoutes.length === 0 ? builtinRoutes : [...extraRoutes, ...builtinRoutes]) {
        const match = route.pattern.exec(path)
        if (!match) continue
        if (!route.methods.includes(method) && !(method === 'HEAD' && route.methods.includes('GET'))) {
          allowedMethods = allowedMethods.concat(route.methods)
          continue
        }
        const context: RouteContext = {
          req,
          res,
          method,
          path,
          url,
          match,
          apiVersion,
          authenticated,
          author: authenticated ? (resolved.authorOf(req) ?? LAKE_TOKEN_USER_ID) : undefined,
          signal: aborted.signal,
          store,
          options: resolved,
          readBody: () => readBody(req, resolved.maxBodyBytes),
          readJson: async () => parseJson(await readBody(req, resolved.maxBodyBytes)),
          send: (statusCode, body, headers) => sendJson(res, statusCode, body, headers),
          trackStream: (end) => {
            streams.add(end)
            return () => streams.delete(end)
          },
        }
        await route.handler(context)
        return
      }
      if (allowedMethods.length > 0) {
        res.setHeader('allow', [...new Set(allowedMethods)].join(', '))
        throw new LakeError(405, 'methodNotAllowed', `${method} is not allowed on ${pathname}; use ${[...new Set(allowedMethods)].join(' or ')}`)
      }
      throw new LakeError(
        404,
        'notFound',
        `No endpoint at ${method} ${pathname}. The lake serves /v<apiVersion>/data/{query,mutate,doc,listen,export}/<dataset>.`,
      )
    } catch (error) {
      // Drain an unread body so keep-alive connections stay usable.
      req.resume()
      if (!isLakeError(error)) throw error
      sendJson(res, error.statusCode, error.toJSON())
    }
  }

  const route = (method: string | readonly string[], pattern: RegExp, routeHandler: RouteHandler, into: Route[]) => {
    const methods = (typeof method === 'string' ? [method] : [...method]).map((m) => m.toUpperCase())
    into.push({methods, pattern, handler: routeHandler})
  }

  Object.defineProperties(handler, {
    handle: {value: dispatch},
    store: {value: store, enumerable: true},
    options: {value: resolved, enumerable: true},
    route: {
      value: (method: string | readonly string[], pattern: RegExp, routeHandler: RouteHandler) => {
        route(method, pattern, routeHandler, extraRoutes)
        return handler
      },
    },
    closeStreams: {
      value: () => {
        for (const end of [...streams]) end()
        streams.clear()
        scheduler.stop()
      },
    },
  })

  route(['GET', 'POST'], /^\/data\/query\/([^/]+)$/, handleQuery, builtinRoutes)
  route('POST', /^\/data\/mutate\/([^/]+)$/, handleMutate, builtinRoutes)
  route('GET', /^\/data\/doc\/([^/]+)\/(.+)$/, handleDoc, builtinRoutes)
  route('GET', /^\/data\/listen\/([^/]+)$/, (ctx) => handleListen(ctx, datasetOf(ctx)), builtinRoutes)
  route('GET', /^\/data\/export\/([^/]+)$/, handleExport, builtinRoutes)
  registerAssetRoutes(handler, resolved.assets)
  registerHistoryRoutes(handler)
  route('GET', /^\/data\/references\/([^/]+)\/documents\/([^/]+)\/to$/, handleReferences, builtinRoutes)
  // The Studio's latency report fetches it when it checks out a document (it reads only the X-Sanity-Shard header).
  route(['GET', 'HEAD'], /^\/data\/ping(\/[^/]+)?$/, (ctx) => {
    ctx.res.statusCode = 200
    ctx.res.setHeader('content-type', 'text/plain; charset=utf-8')
    ctx.res.setHeader('cache-control', 'no-store')
    ctx.res.end('PONG')
  }, builtinRoutes)
  return handler
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

function checkAuth(header: string | readonly string[] | undefined, tokenDigest: Buffer): boolean {
  if (header === undefined || header === '') return false
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null
  if (!match?.[1] || !timingSafeEqual(digest(match[1]), tokenDigest)) {
    throw new LakeError(401, 'unauthorized', 'Invalid token: send Authorization: Bearer <token> with the lake token (SANITY_API_WRITE_TOKEN, or the token file in the lake data folder)')
  }
  return true
}

/** Normalises a configured CORS origin (`https://host:port`, no path); throws a readable error otherwise. */
export function normalizeOrigin(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`"${value}" is not an origin: write it as scheme://host[:port], e.g. http://localhost:3333`)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new Error(`"${value}" is not an origin: write it as http(s)://host[:port] without a path, e.g. http://localhost:3333`)
  }
  return url.origin
}

/** The environment variable with extra CORS origins (comma-separated), next to `--cors-origin`. */
export const CORS_ORIGINS_ENV = 'LAKE_CORS_ORIGINS'

/**
 * CORS origins from `--cors-origin` flags and `LAKE_CORS_ORIGINS`, normalised (`scheme://host:port`);
 * throws an error that names the bad value.
 */
export function resolveCorsOrigins(flags: readonly string[] = [], env: Record<string, string | undefined> = process.env): string[] {
  const fromEnv = (env[CORS_ORIGINS_ENV] ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean)
  return [...new Set([...flags, ...fromEnv].map(normalizeOrigin))]
}

function corsPolicy(origins: ResolvedHandlerOptions['corsOrigins']): (origin: string) => boolean {
  if (typeof origins === 'function') return origins
  const allowed = new Set(origins.map(normalizeOrigin))
  return (origin) => allowed.has(origin)
}

/**
 * Only allowed origins are echoed, with credentials; any other origin gets no CORS headers,
 * so a page elsewhere cannot read answers. Returns the request's origin, if it sent one.
 */
function applyCors(req: LakeRequest, res: LakeResponse, allowed: (origin: string) => boolean): {value: string; allowed: boolean} | undefined {
  const origin = req.headers.origin
  res.setHeader('vary', 'Origin')
  if (typeof origin !== 'string' || !origin) return undefined
  if (!allowed(origin)) return {value: origin, allowed: false}
  res.setHeader('access-control-allow-origin', origin)
  res.setHeader('access-control-allow-credentials', 'true')
  return {value: origin, allowed: true}
}

/** The request target as a URL (`lib/request-target.ts`, shared with the server's app routes); unreadable ones are a 400. */
export function parseRequestUrl(target: string | undefined): URL {
  const url = requestTargetUrl(target, 'http://lake.invalid')
  if (!url) throw new LakeError(400, 'invalidRequest', UNREADABLE_TARGET)
  return url
}

/** A percent-decoded path segment; malformed escapes (`%E0%A4%A`) and NUL bytes are a 400. */
export function decodePathSegment(segment: string, what = 'path segment'): string {
  let decoded: string
  try {
    decoded = decodeURIComponent(segment)
  } catch {
    throw new LakeError(400, 'invalidRequest', `The ${what} "${segment.slice(0, 100)}" has a malformed percent-escape; encode it with encodeURIComponent`)
  }
  if (decoded.includes('\0')) throw new LakeError(400, 'invalidRequest', `The ${what} contains a NUL character`)
  return decoded
}

/** The body of a 500: no message or stack (they stay in the log), only a reference to find them. */
export function internalErrorBody(reference: string): {error: {type: string; description: string}; statusCode: number} {
  return {error: {type: 'internalError', description: `Internal server error; the server log has the details (reference ${reference})`}, statusCode: 500}
}

export function errorStack(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}

export function sendJson(res: LakeResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded) return
  if (res.headersSent) {
    // Too late for a status code: end the stream so the client notices.
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.statusCode = statusCode
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(text))
  res.setHeader('cache-control', 'no-store')
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.end(text)
}

async function readBody(req: LakeRequest, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new LakeError(413, 'payloadTooLarge', `Request body is larger than the lake's limit of ${maxBytes} bytes; split the mutations into several transactions or start the lake with a larger --max-body`)
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of req) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array)
      size += buffer.length
      if (size > maxBytes) throw tooLarge()
      chunks.push(buffer)
    }
  } catch (error) {
    if (isLakeError(error)) throw error
    // The client hung up or the stream was reset mid-body: nothing to act on.
    throw new LakeError(400, 'invalidRequest', `The request body ended early: ${errorMessage(error)}`)
  }
  return Buffer.concat(chunks)
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw new LakeError(400, 'invalidRequest', 'The request body is empty; send JSON')
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new LakeError(400, 'invalidRequest', `The request body is not valid JSON: ${errorMessage(error)}`)
  }
  // Everything downstream (validation, cloning, storage, GROQ) recurses over it.
  assertJsonDepth(parsed, 'The request body')
  return parsed
}

/** The dataset named in the path; an anonymous caller naming an unknown dataset gets 404 and nothing is created. */
export function datasetOf(ctx: RouteContext) {
  const name = decodePathSegment(ctx.match[1] ?? '', 'dataset name')
  // Only authenticated callers create datasets; an anonymous read never writes to disk.
  if (!ctx.authenticated && !ctx.store.hasDataset(name)) {
    throw new LakeError(404, 'datasetNotFound', `Dataset "${name}" not found`)
  }
  return ctx.store.dataset(name)
}

/** `$name=<JSON>` query-string parameters, as `@sanity/client` sends them. */
export function paramsFromSearch(search: URLSearchParams): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const [key, value] of search) {
    if (!key.startsWith('$')) continue
    try {
      params[key.slice(1)] = JSON.parse(value)
    } catch {
      throw new LakeError(400, 'invalidParameter', `Parameter ${key} must be JSON-encoded, e.g. ${key}="her-2013" for a string (got ${value})`)
    }
  }
  assertJsonDepth(params, 'The query parameters')
  return params
}

function zodMessage(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'body'}: ${issue.message}`).join('; ')
}

const queryBody = z.object({
  query: z.string({error: 'query must be a GROQ string'}),
  params: z.record(z.string(), z.unknown()).optional(),
  perspective: z.union([z.string(), z.array(z.string())]).optional(),
})

/**
 * `/data/query/<dataset>`: the one query route. GROQ runs on a query worker within the
 * time budget (408 past it) and is cancelled when the client goes away; query text and
 * result size are limited (413). `text::query()` works here like any other function.
 */
async function handleQuery(ctx: RouteContext): Promise<void> {
  const dataset = datasetOf(ctx)
  const started = performance.now()
  let query: string
  let params: Record<string, unknown>
  let perspective: string | string[] | undefined = ctx.url.searchParams.get('perspective') ?? undefined
  if (ctx.method === 'POST') {
    const parsed = queryBody.safeParse(await ctx.readJson())
    if (!parsed.success) throw new LakeError(400, 'invalidRequest', `Invalid query request: ${zodMessage(parsed.error)}`)
    query = parsed.data.query
    params = {...paramsFromSearch(ctx.url.searchParams), ...parsed.data.params}
    perspective = parsed.data.perspective ?? perspective
  } else {
    const fromSearch = ctx.url.searchParams.get('query')
    if (fromSearch === null) throw new LakeError(400, 'invalidRequest', 'Missing "query": send ?query=<GROQ> (and $name=<JSON> parameters)')
    query = fromSearch
    params = paramsFromSearch(ctx.url.searchParams)
  }
  assertQuerySize(query)
  // Bad perspectives are refused before any work is queued.
  parsePerspective(perspective)
  const result = await dataset.queryJson(query, params, perspective, {
    allowPrivate: ctx.authenticated,
    projectId: ctx.options.projectId,
    signal: ctx.signal,
    timeoutMs: ctx.options.queryTimeoutMs,
  })
  const ms = Math.round((performance.now() - started) * 1000) / 1000
  const returnQuery = ctx.url.searchParams.get('returnQuery') !== 'false'
  // The result is already JSON text (made on the worker); it is framed, not parsed again.
  const head = Buffer.from(returnQuery ? `{"query":${JSON.stringify(query)},"result":` : '{"result":')
  sendJsonBytes(ctx.res, 200, Buffer.concat([head, result, Buffer.from(`,"ms":${ms}}`)]))
}

function sendJsonBytes(res: LakeResponse, statusCode: number, body: Uint8Array): void {
  if (res.writableEnded || res.headersSent) return
  res.statusCode = statusCode
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('content-length', body.byteLength)
  res.setHeader('cache-control', 'no-store')
  res.end(body)
}

const mutateBody = z.object({
  mutations: z.array(z.unknown(), {error: 'mutations must be an array of mutation objects'}),
  transactionId: z.string().min(1).optional(),
})

const VISIBILITIES = new Set(['sync', 'async', 'deferred'])

function flag(search: URLSearchParams, name: string): boolean {
  const value = search.get(name)
  return value === 'true' || value === '1' || value === ''
}

function requireAuth(ctx: RouteContext, what: string): void {
  if (!ctx.authenticated) {
    throw new LakeError(401, 'unauthorized', `${what} needs a token: send Authorization: Bearer <token> (SANITY_API_WRITE_TOKEN, or the token file the lake wrote in its data folder)`)
  }
}

async function handleMutate(ctx: RouteContext): Promise<void> {
  requireAuth(ctx, 'Writing')
  const dataset = datasetOf(ctx)
  const parsed = mutateBody.safeParse(await ctx.readJson())
  if (!parsed.success) throw new LakeError(400, 'invalidRequest', `Invalid mutate request: ${zodMessage(parsed.error)}`)
  const search = ctx.url.searchParams
  const visibility = search.get('visibility') ?? 'sync'
  if (!VISIBILITIES.has(visibility)) throw new LakeError(400, 'invalidRequest', `visibility must be sync, async or deferred (got "${visibility}")`)
  const transactionId = search.get('transactionId') ?? parsed.data.transactionId
  const result = await dataset.transaction(parsed.data.mutations, {
    ...(transactionId ? {transactionId} : {}),
    dryRun: flag(search, 'dryRun'),
    autoGenerateArrayKeys: flag(search, 'autoGenerateArrayKeys'),
    ...(ctx.author ? {identity: ctx.author} : {}),
  })
  const returnDocuments = flag(search, 'returnDocuments')
  const returnIds = flag(search, 'returnIds')
  ctx.send(200, {
    transactionId: result.transactionId,
    results: result.results.map(({id, operation, document}) => (returnDocuments && document ? {id, operation, document} : {id, operation})),
    ...(returnIds ? {documentIds: result.documentIds} : {}),
  })
}

function handleDoc(ctx: RouteContext): void {
  const dataset = datasetOf(ctx)
  const ids = (ctx.match[2] ?? '')
    .split(',')
    .map((id) => decodePathSegment(id, 'document id'))
    .filter(Boolean)
  const excludeContent = flag(ctx.url.searchParams, 'excludeContent')
  const documents: Record<string, unknown>[] = []
  const omitted: {id: string; reason: 'existence' | 'permission'}[] = []
  for (const id of ids) {
    if (!ctx.authenticated && !isPublicId(id)) {
      omitted.push({id, reason: 'permission'})
      continue
    }
    const doc = dataset.getDocument(id)
    if (!doc) omitted.push({id, reason: 'existence'})
    else documents.push(excludeContent ? {_id: doc._id, _type: doc._type, _rev: doc._rev} : doc)
  }
  ctx.send(200, {documents, omitted})
}

async function handleExport(ctx: RouteContext): Promise<void> {
  const dataset = datasetOf(ctx)
  const typesParam = ctx.url.searchParams.get('types')
  const types = typesParam ? new Set(typesParam.split(',').filter(Boolean)) : undefined
  const docs = dataset
    .documents()
    .filter((doc) => (ctx.authenticated || isPublicId(doc._id)) && (!types || types.has(doc._type)))
  const BATCH = 500
  function* batches() {
    for (let i = 0; i < docs.length; i += BATCH) {
      yield `${docs
        .slice(i, i + BATCH)
        .map((doc) => JSON.stringify(doc))
        .join('\n')}\n`
    }
  }
  await sendNdjson(ctx.res, batches())
}

/**
 * Answers 200 with NDJSON, written chunk by chunk as the client reads it; stops (without
 * making the rest) when the client goes away.
 */
export async function sendNdjson(res: LakeResponse, chunks: Iterable<string>): Promise<void> {
  res.statusCode = 200
  res.setHeader('content-type', 'application/x-ndjson')
  res.setHeader('cache-control', 'no-store')
  let closed = false
  res.on('close', () => {
    closed = true
  })
  for (const chunk of chunks) {
    if (closed) break
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve)
        res.once('close', resolve)
      })
    }
  }
  res.end()
}

/**
 * `GET /data/references/<dataset>/documents/<id>/to`: the documents that reference `id`,
 * as `{totalCount, references: [{documentId, datasetName, projectId}]}` (the shape the
 * Studio's delete dialog reads; it asks with `excludeInternalReferences=true` for
 * references held in other datasets, and finds those within the dataset by query).
 * From the SQLite refs index. Anonymous callers only learn of public referrers of public
 * documents, exactly what a query could tell them.
 */
function handleReferences(ctx: RouteContext): void {
  const dataset = datasetOf(ctx)
  const id = decodeURIComponent(ctx.match[2] ?? '')
  if (!isValidDocumentId(id)) throw new LakeError(400, 'invalidRequest', `Invalid document id "${id}"`)
  const visible = (docId: string) => ctx.authenticated || isPublicId(docId)
  const references: {documentId: string; datasetName: string; projectId: string}[] = []
  if (visible(id)) {
    const projectId = ctx.options.projectId
    if (!flag(ctx.url.searchParams, 'excludeInternalReferences')) {
      for (const {from} of dataset.referrers(id)) if (visible(from)) references.push({documentId: from, datasetName: dataset.name, projectId})
    }
    for (const {dataset: datasetName, referrer} of ctx.store.crossDatasetReferrers(dataset.name, id)) {
      if (visible(referrer.from)) references.push({documentId: referrer.from, datasetName, projectId})
    }
  }
  ctx.send(200, {totalCount: references.length, references})
}
