import {createServer as createHttpServer, type IncomingMessage} from 'node:http'
import {constants, createSecureServer, type Http2ServerRequest, type Http2Session, type ServerHttp2Stream} from 'node:http2'
import {createServer as createNetServer, type AddressInfo, type Socket} from 'node:net'
import {resolve} from 'node:path'
import type {Duplex} from 'node:stream'

import {toFetchRequest, writeFetchResponse} from '../comments/node'
import {createLakeHandler, type LakeHandler, LakeError, LakeStore, resolveLakeToken} from '../lake'
import {errorMessage, isLakeError} from '../lake/errors'
import {decodePathSegment, normalizeOrigin, parseRequestUrl} from '../lake/http'

export {CORS_ORIGINS_ENV, resolveCorsOrigins} from '../lake/http'
import {defaultLakeDir, defaultLakePort, localProjectId} from '../lib/env'
import {answerError, type AnyRequest, type AnyResponse, type Boundary, createBoundary, type ErrorFormat} from './boundary'
import {createLoginHandlers} from './login'
import {bearerToken, isLoopbackAddress, isLoopbackHost, resolveSessionToken, sameSecret, StudioAccess} from './session'
import {acceptPresenceSocket} from './socket'
import {createStaticHandler} from './static'
import {UserSettings} from './settings'
import {LOCAL_USER, registerStudioRoutes} from './studio-api'
import {certificateHosts, loadOrCreateCertificate} from './tls'

export interface StartServerOptions {
  /** Default 3434 (the lake's port); 0 picks a free one. */
  port?: number
  /** Loopback only: `127.0.0.1` (default) or `::1`. */
  host?: string
  /** Data folder (lake data, token, Studio session, TLS certificate). Default `.lake`. */
  dir?: string
  /** The built Studio (`sanity build` output). Default `dist`. */
  studioDir?: string
  /** Lake write token. Default: SANITY_API_WRITE_TOKEN, else `<dir>/token` (made on first start). */
  token?: string
  /** The Studio's project id; it serves at `https://<projectId>.localhost:<port>`. Default `local`. */
  projectId?: string
  /** Listener keepalive interval in ms. Default 15000. */
  keepAliveMs?: number
  /** Connection timeouts; see `DEFAULT_TIMEOUTS`. */
  timeouts?: Partial<ServerTimeouts>
  /** Connection, header and frame limits; see `DEFAULT_LIMITS`. */
  limits?: Partial<ServerLimits>
  /**
   * Browser origins besides the Studio's own that may call the API with credentials and open
   * the presence socket, e.g. `http://localhost:3333` (like a Sanity project's CORS origins).
   */
  corsOrigins?: readonly string[]
  /** Time budget of one query in ms (408 past it). Default 10 000. */
  queryTimeoutMs?: number
  /** Days of document history kept (0: everything). Default 365. */
  historyRetentionDays?: number
  /** Status and error lines. Default: nowhere. */
  log?: (line: string) => void
  /**
   * Pages and endpoints for the plain hosts (`localhost`, `127.0.0.1`), e.g. the reference site
   * and `/api/comments`, as a Fetch handler made once the port is known; `undefined` from it
   * means "not mine" (answered 404). Without it, those hosts redirect to the Studio.
   */
  app?: (server: {apiUrl: string; token: string; projectId: string}) => AppHandler
}

/** A Fetch-API handler; `undefined` when the path is not its own. */
export type AppHandler = (request: Request) => Promise<Response | undefined>

export interface RunningServer {
  /** The Studio, e.g. `https://local.localhost:3434/`. */
  studioUrl: string
  /**
   * The link to open first: it signs the browser in with a one-time secret made at this start
   * (`/auth/login?secret=…`), then the Studio opens. Print it only where its user sees it.
   */
  loginUrl: string
  /** For Node clients (`@sanity/client` `apiHost` with `useProjectHostname: false`): plain HTTP on loopback. */
  apiUrl: string
  /** The HTTPS API host the Studio uses (requests go to `<projectId>.` + this host). */
  apiHost: string
  port: number
  projectId: string
  token: string
  tokenFile: string | undefined
  /** The self-signed certificate, to trust it once in a browser or OS. */
  certFile: string
  dir: string
  store: LakeStore
  handler: LakeHandler
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1'])
/**
 * API paths: everything versioned (`/v2025-02-19/…`, `/v1/…`, `/vX/…`), the login redirect, and
 * the lake's CDN-shaped asset paths (`/images/<projectId>/…`, `/files/<projectId>/…`).
 */
const API_PATH = /^\/(v(\d{4}-\d{2}-\d{2}|\d+|X)(\/|$)|auth\/|images\/|files\/)/
const TLS_HANDSHAKE = 0x16
/** Methods any route answers; others (TRACE, CONNECT, made-up ones) are a 405 before routing. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

/**
 * How long a connection may take at each stage before it is closed. Generous for a browser
 * or a script on this computer, short enough that idle or half-sent connections do not pile up.
 */
export interface ServerTimeouts {
  /** A new connection must send its first byte (TLS hello or HTTP request line) within this. */
  firstByteMs: number
  /** The TLS handshake must complete within this. */
  tlsHandshakeMs: number
  /** HTTP/1.1: the request headers must arrive within this (408 after). */
  headersMs: number
  /** The whole request, body included, must arrive within this (HTTP/1.1: 408; HTTP/2: 408 and the stream is reset). */
  requestMs: number
  /** HTTP/1.1: an idle keep-alive connection between requests is closed after this. */
  keepAliveMs: number
  /** A connection or HTTP/2 session with no traffic at all is closed after this (listener keepalives count as traffic). */
  idleMs: number
}

export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  firstByteMs: 10_000,
  tlsHandshakeMs: 10_000,
  headersMs: 20_000,
  requestMs: 60_000,
  keepAliveMs: 5_000,
  idleMs: 120_000,
}

/** Size and count limits beyond the lake's own (request bodies: 32 MiB). */
export interface ServerLimits {
  /** Open connections at once; more are refused. */
  maxConnections: number
  /** HTTP/1.1 request headers, in bytes (431 above). HTTP/2 header lists are capped at the same size. */
  maxHeaderBytes: number
  /** Concurrent streams per HTTP/2 session (the Studio keeps a few dozen listeners open). */
  maxConcurrentStreams: number
  /** Largest presence WebSocket frame a client may send (closed with 1009 above). */
  maxWebSocketFrameBytes: number
  /** Presence WebSocket answers queued for a client that does not read them; the socket is cut above. */
  maxWebSocketBufferedBytes: number
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 1000,
  maxHeaderBytes: 16 * 1024,
  maxConcurrentStreams: 256,
  maxWebSocketFrameBytes: 64 * 1024,
  maxWebSocketBufferedBytes: 1024 * 1024,
}

/**
 * The local app server: the lake's API plus the Studio's support endpoints, and the built
 * Studio, on one loopback port. Browsers get HTTP/2 over TLS (the Studio keeps many listener
 * streams open, more than the six HTTP/1.1 connections a browser allows per host); Node
 * clients and scripts can keep using plain HTTP on the same port (the first byte of a
 * connection tells TLS from plain HTTP). Every request and upgrade runs inside one error
 * boundary (boundary.ts): no input ends the process.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host)) throw new Error(`The server only listens on loopback (127.0.0.1 or ::1), not "${host}"`)
  const dir = resolve(options.dir ?? defaultLakeDir)
  const projectId = options.projectId ?? localProjectId
  const log = options.log ?? (() => {})
  const timeouts: ServerTimeouts = {...DEFAULT_TIMEOUTS, ...options.timeouts}
  const limits: ServerLimits = {...DEFAULT_LIMITS, ...options.limits}
  const corsOrigins = new Set((options.corsOrigins ?? []).map(normalizeOrigin))
  const store = new LakeStore(dir, {log, ...(options.queryTimeoutMs === undefined ? {} : {queryTimeoutMs: options.queryTimeoutMs})})
  let boundary: Boundary | undefined
  try {
    const {token, tokenFile} = resolveLakeToken(dir, options.token)
    const access = new StudioAccess(resolveSessionToken(dir), token)
    const tls = await loadOrCreateCertificate(dir, certificateHosts(projectId))
    if (tls.generated) log(`made a self-signed TLS certificate: ${tls.certFile}`)

    let port = 0
    const projectHost = `${projectId}.localhost`
    const studioOrigin = () => `https://${projectHost}:${port}`
    /** The Studio's own origin and the configured ones may call with credentials (CORS, WebSocket). */
    const isAllowedOrigin = (origin: string) => origin === studioOrigin() || corsOrigins.has(origin)

    /** Requests signed in with the Studio's session (rather than the lake token): they act as the Studio's user. */
    const sessionRequests = new WeakSet<object>()
    const lake = createLakeHandler(store, {
      token,
      projectId,
      log,
      corsOrigins: isAllowedOrigin,
      authorOf: (req) => (sessionRequests.has(req) ? LOCAL_USER.id : undefined),
      ...(options.historyRetentionDays === undefined ? {} : {historyRetentionDays: options.historyRetentionDays}),
      ...(options.keepAliveMs === undefined ? {} : {keepAliveMs: options.keepAliveMs}),
      ...(options.queryTimeoutMs === undefined ? {} : {queryTimeoutMs: options.queryTimeoutMs}),
    })
    registerStudioRoutes(lake, {projectId, user: LOCAL_USER, settings: new UserSettings(dir), ...createLoginHandlers({access, projectHost, port: () => port})})
    const serveStudio = createStaticHandler(options.studioDir ?? 'dist')
    let appHandler: AppHandler | undefined
    boundary = createBoundary(log)
    const guard = boundary

    /** Routes one request; a `LakeError` thrown on the way is answered in the route's format. */
    const route = async (req: AnyRequest, res: AnyResponse, format: ErrorFormat) => {
      try {
        const authority = req.headers[':authority'] ?? req.headers.host
        if (!authority) throw new LakeError(400, 'invalidRequest', 'The request names no host (Host header or :authority)')
        if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(authority)) {
          throw new LakeError(403, 'forbidden', 'This server only answers requests for localhost from this computer.')
        }
        // node:http2 advertises the header list limit but does not enforce it; node:http does (431).
        if (req.httpVersionMajor === 2 && headerListSize(req.rawHeaders) > limits.maxHeaderBytes) {
          throw new LakeError(431, 'headersTooLarge', 'The request headers are larger than the server accepts')
        }
        const method = req.method ?? 'GET'
        if (!METHODS.has(method)) {
          res.setHeader('allow', [...METHODS].join(', '))
          throw new LakeError(405, 'methodNotAllowed', `${method.slice(0, 20)} is not a method this server answers`)
        }
        const url = parseRequestUrl(req.url)
        // Every route decodes its path; one that cannot be decoded names nothing here.
        decodePathSegment(url.pathname, 'path')
        // The Studio's session stands in for the lake token.
        const bearer = bearerToken(req.headers.authorization)
        if (bearer && sameSecret(bearer, access.session)) {
          req.headers.authorization = `Bearer ${token}`
          sessionRequests.add(req)
        }
        if (API_PATH.test(url.pathname)) {
          await lake.handle(req, res)
          return
        }
        // Pages only from the project host over TLS: the Studio derives its API host from it.
        const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true
        const hostname = typeof authority === 'string' ? authority.replace(/:\d+$/, '').toLowerCase() : ''
        if (appHandler && hostname !== projectHost) {
          await serveApp(appHandler, req, res)
          return
        }
        if (!encrypted || hostname !== projectHost) {
          res.statusCode = 302
          res.setHeader('location', `${studioOrigin()}${url.pathname}${url.search}`)
          res.end()
          return
        }
        serveStudio(req, res)
      } catch (error) {
        if (!isLakeError(error)) throw error
        req.resume()
        answerError(res, format, error.statusCode, error.type, error.message)
      }
    }

    const app = (req: AnyRequest, res: AnyResponse) => {
      // Page routes answer errors as HTML, the API and /api/* as Sanity's JSON error shape.
      const target = req.url ?? '/'
      const format: ErrorFormat = API_PATH.test(target) || target.startsWith('/api/') ? 'json' : 'html'
      guard.request(req, res, format, () => {
        if (req.httpVersionMajor === 2) limitStreamTime(req as Http2ServerRequest, res, format, timeouts.requestMs)
        return route(req, res, format)
      })
    }

    const secure = createSecureServer(
      {
        key: tls.key,
        cert: tls.cert,
        allowHTTP1: true,
        handshakeTimeout: timeouts.tlsHandshakeMs,
        settings: {maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes},
      },
      app,
    )
    const plain = createHttpServer({maxHeaderSize: limits.maxHeaderBytes}, app)
    for (const server of [secure, plain]) {
      // HTTP/1.1 on either transport (node:http2 falls back to node:http's connection handling).
      Object.assign(server, {
        // A missing Host is answered by the router below (node:http's own 400 has no body).
        requireHostHeader: false,
        headersTimeout: timeouts.headersMs,
        requestTimeout: timeouts.requestMs,
        keepAliveTimeout: timeouts.keepAliveMs,
        connectionsCheckingInterval: Math.min(1000, timeouts.headersMs),
      })
      // Idle sockets (HTTP/1.1) and idle sessions (HTTP/2) are closed after this.
      server.setTimeout(timeouts.idleMs)
      // Neither server listens itself (the front socket hands them connections), and Node
      // starts the header and request timers on 'listening'.
      server.emit('listening')
      server.on('clientError', answerClientError)
    }
    const sockets = new Set<Socket>()
    const sessions = new Set<Http2Session>()
    const presence = new Set<() => void>()
    secure.on('session', (h2: Http2Session) => {
      sessions.add(h2)
      h2.on('close', () => sessions.delete(h2))
    })
    // A broken TLS handshake, HTTP/2 session or stream is the client's doing: drop it quietly.
    secure.on('tlsClientError', (_error: Error, socket: Duplex) => socket.destroy())
    secure.on('sessionError', (_error: Error, h2: Http2Session) => h2.destroy())
    secure.on('stream', (stream: ServerHttp2Stream) => stream.on('error', () => stream.destroy()))
    const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      guard.upgrade(req, socket, () => {
        const refuse = (status: string) => socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
        const key = req.headers['sec-websocket-key']
        const path = parseRequestUrl(req.url).pathname
        if (typeof key !== 'string' || !/^\/v[^/]+\/socket\/[^/]+$/.test(path) || !isLoopbackHost(req.headers.host) || !isLoopbackAddress(req.socket.remoteAddress)) {
          return refuse('404 Not Found')
        }
        if (req.headers['sec-websocket-version'] !== '13') return refuse('426 Upgrade Required\r\nSec-WebSocket-Version: 13')
        // A page elsewhere must not open the Studio's socket (cross-site WebSocket hijacking);
        // clients that are not browsers send no Origin.
        const origin = req.headers.origin
        if (origin !== undefined && !isAllowedOrigin(origin)) return refuse('403 Forbidden')
        const close = acceptPresenceSocket(key, socket, {
          head,
          maxFrameBytes: limits.maxWebSocketFrameBytes,
          maxBufferedBytes: limits.maxWebSocketBufferedBytes,
          idleMs: timeouts.idleMs,
          guard: (what, callback) => guard.guard(what, callback),
          onClosedByServer: (reason) => log(`presence socket closed by the server: ${reason}`),
        })
        presence.add(close)
        socket.on('close', () => presence.delete(close))
      })
    secure.on('upgrade', upgrade)
    plain.on('upgrade', upgrade)
    // HTTP/1.1 CONNECT (a proxy tunnel request) never reaches the request handler: refuse it here.
    const refuseConnect = (req: IncomingMessage, socket: Duplex) =>
      guard.upgrade(req, socket, () => {
        const body = JSON.stringify({error: {type: 'methodNotAllowed', description: 'CONNECT is not a method this server answers'}, statusCode: 405})
        socket.end(`HTTP/1.1 405 Method Not Allowed\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
      })
    secure.on('connect', refuseConnect)
    plain.on('connect', refuseConnect)

    const front = createNetServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => socket.destroy())
      // A connection that never says anything is not kept open.
      socket.setTimeout(timeouts.firstByteMs, () => socket.destroy())
      socket.once('data', (first: Buffer) => {
        socket.setTimeout(0)
        socket.pause()
        socket.unshift(first)
        ;(first[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket)
        process.nextTick(() => socket.resume())
      })
    })
    front.maxConnections = limits.maxConnections
    await new Promise<void>((resolveListen, reject) => {
      front.once('error', reject)
      front.listen(options.port ?? defaultLakePort, host, () => {
        front.off('error', reject)
        resolveListen()
      })
    })
    port = (front.address() as AddressInfo).port
    const loopbackHost = host.includes(':') ? `[${host}]` : host
    appHandler = options.app?.({apiUrl: `http://${loopbackHost}:${port}`, token, projectId})
    const secret = access.oneTimeSecret

    let closing: Promise<void> | undefined
    return {
      studioUrl: `${studioOrigin()}/`,
      loginUrl: `${studioOrigin()}/auth/login?secret=${secret ?? ''}`,
      apiUrl: `http://${loopbackHost}:${port}`,
      apiHost: `https://localhost:${port}`,
      port,
      projectId,
      token,
      tokenFile,
      certFile: tls.certFile,
      dir,
      store,
      handler: lake,
      close: () => {
        closing ??= new Promise<void>((resolveClose) => {
          lake.closeStreams()
          for (const close of presence) close()
          for (const h2 of sessions) h2.close()
          front.close(() => {
            guard.close()
            void store.close().then(resolveClose)
          })
          plain.closeIdleConnections()
          // Stops the header/request timers started above.
          plain.close()
          secure.close()
          // Whatever is still open after a moment is cut, so close() never hangs.
          setTimeout(() => {
            for (const socket of sockets) socket.destroy()
          }, 250).unref()
        })
        return closing
      },
    }
  } catch (error) {
    boundary?.close()
    await store.close()
    throw error
  }
}

/** A header list's size as HTTP/2 counts it (RFC 9113 §6.5.2: name + value + 32 per field). */
function headerListSize(rawHeaders: readonly string[]): number {
  let size = 0
  for (const part of rawHeaders) size += part.length + 16
  return size
}

/**
 * HTTP/2 has no request timeout of its own: a stream whose request (headers and body) has not
 * fully arrived within `ms` is answered 408 and reset.
 */
function limitStreamTime(req: Http2ServerRequest, res: AnyResponse, format: ErrorFormat, ms: number): void {
  const stream = req.stream
  if (stream.state.remoteClose) return
  const timer = setTimeout(() => {
    if (stream.destroyed || stream.state.remoteClose) return
    answerError(res, format, 408, 'requestTimeout', `The request did not arrive completely within ${ms / 1000} s`)
    stream.close(constants.NGHTTP2_CANCEL)
  }, ms)
  timer.unref()
  stream.once('close', () => clearTimeout(timer))
}

/**
 * A request node:http could not parse (bad request line, header overflow, timeout): answered
 * in Sanity's JSON error shape and the connection closed, as long as nothing was sent on it yet.
 */
function answerClientError(error: Error & {code?: string}, socket: Duplex): void {
  // The response in progress on this socket, if any (node:http keeps it there).
  const inProgress = (socket as Duplex & {_httpMessage?: {headersSent?: boolean}})._httpMessage
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
    socket.destroy()
    return
  }
  const [statusCode, reason, type, description] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'headersTooLarge', 'The request headers are larger than the server accepts']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'requestTimeout', 'The request did not arrive completely in time']
        : [400, 'Bad Request', 'invalidRequest', 'The request is not valid HTTP/1.1']
  const body = JSON.stringify({error: {type, description}, statusCode})
  // Read and drop what the client is still sending: closing with unread bytes resets the
  // connection, and the client would lose the answer.
  socket.resume()
  socket.end(
    `HTTP/1.1 ${statusCode} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  )
  setTimeout(() => socket.destroy(), 1000).unref()
}

/** Runs a Fetch handler for a Node request; what it throws is the boundary's to answer. */
async function serveApp(handler: AppHandler, req: AnyRequest, res: AnyResponse): Promise<void> {
  let request: Request
  try {
    request = toFetchRequest(req)
  } catch (error) {
    // Header names or values that the Fetch API refuses.
    throw new LakeError(400, 'invalidRequest', `The request cannot be read: ${errorMessage(error)}`)
  }
  const response = await handler(request)
  if (!response) throw new LakeError(404, 'notFound', 'There is nothing at this address.')
  await writeFetchResponse(req, res, response)
}
