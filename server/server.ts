import {toFetchRequest, writeFetchResponse} from '../comments/node'
import {createServer as createHttpServer, type IncomingMessage, type ServerResponse} from 'node:http'
import {createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session} from 'node:http2'
import {createServer as createNetServer, type AddressInfo, type Socket} from 'node:net'
import {resolve} from 'node:path'
import type {Duplex} from 'node:stream'

import {createLakeHandler, type LakeHandler, LakeStore, resolveLakeToken} from '../lake'
import {defaultLakeDir, defaultLakePort, localProjectId} from '../lib/env'
import {bearerToken, isLoopbackAddress, isLoopbackHost, resolveSessionToken, sameSecret} from './session'
import {acceptPresenceSocket} from './socket'
import {createStaticHandler} from './static'
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
  /** Time budget of one query in ms (408 past it). Default 10 000. */
  queryTimeoutMs?: number
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
  /** The one URL to open: the Studio, e.g. `https://local.localhost:3434/`. */
  studioUrl: string
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

type AnyRequest = IncomingMessage | Http2ServerRequest
type AnyResponse = ServerResponse | Http2ServerResponse

const LOOPBACK = new Set(['127.0.0.1', '::1'])
/** API paths: everything versioned (`/v2025-02-19/…`, `/v1/…`, `/vX/…`) and the login redirect. */
const API_PATH = /^\/(v(\d{4}-\d{2}-\d{2}|\d+|X)(\/|$)|auth\/)/
const TLS_HANDSHAKE = 0x16

/**
 * The local app server: the lake's API plus the Studio's support endpoints, and the built
 * Studio, on one loopback port. Browsers get HTTP/2 over TLS (the Studio keeps many listener
 * streams open, more than the six HTTP/1.1 connections a browser allows per host); Node
 * clients and scripts can keep using plain HTTP on the same port (the first byte of a
 * connection tells TLS from plain HTTP).
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host)) throw new Error(`The server only listens on loopback (127.0.0.1 or ::1), not "${host}"`)
  const dir = resolve(options.dir ?? defaultLakeDir)
  const projectId = options.projectId ?? localProjectId
  const log = options.log ?? (() => {})
  const store = new LakeStore(dir, {log, ...(options.queryTimeoutMs === undefined ? {} : {queryTimeoutMs: options.queryTimeoutMs})})
  try {
    const {token, tokenFile} = resolveLakeToken(dir, options.token)
    const session = resolveSessionToken(dir)
    const tls = await loadOrCreateCertificate(dir, certificateHosts(projectId))
    if (tls.generated) log(`made a self-signed TLS certificate: ${tls.certFile}`)

    let port = 0
    const projectHost = `${projectId}.localhost`
    const studioOrigin = () => `https://${projectHost}:${port}`

    const lake = createLakeHandler(store, {
      token,
      projectId,
      log,
      ...(options.keepAliveMs === undefined ? {} : {keepAliveMs: options.keepAliveMs}),
      ...(options.queryTimeoutMs === undefined ? {} : {queryTimeoutMs: options.queryTimeoutMs}),
    })
    registerStudioRoutes(lake, {
      projectId,
      user: LOCAL_USER,
      login: (_ctx, origin) => {
        // Only this server's own Studio pages may receive the session.
        let target: URL
        try {
          target = new URL(origin ?? `${studioOrigin()}/`)
        } catch {
          return undefined
        }
        if (target.protocol !== 'https:' || target.port !== String(port) || (target.hostname !== projectHost && target.hostname !== 'localhost')) return undefined
        target.hash = `token=${session}`
        return target.toString()
      },
    })
    const serveStudio = createStaticHandler(options.studioDir ?? 'dist')
    let appHandler: AppHandler | undefined

    const app = (req: AnyRequest, res: AnyResponse) => {
      const authority = req.headers[':authority'] ?? req.headers.host
      if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(typeof authority === 'string' ? authority : undefined)) {
        res.statusCode = 403
        res.end('This server only answers requests for localhost from this computer.\n')
        return
      }
      // The Studio's session stands in for the lake token.
      const bearer = bearerToken(req.headers.authorization)
      if (bearer && sameSecret(bearer, session)) req.headers.authorization = `Bearer ${token}`
      const url = new URL(req.url ?? '/', 'https://server.invalid')
      if (API_PATH.test(url.pathname)) {
        lake(req, res)
        return
      }
      // Pages only from the project host over TLS: the Studio derives its API host from it.
      const encrypted = 'encrypted' in req.socket && req.socket.encrypted === true
      const hostname = typeof authority === 'string' ? authority.replace(/:\d+$/, '') : ''
      if (appHandler && hostname !== projectHost) {
        void serveApp(appHandler, req, res, log)
        return
      }
      if (!encrypted || hostname !== projectHost) {
        res.statusCode = 302
        res.setHeader('location', `${studioOrigin()}${url.pathname}${url.search}`)
        res.end()
        return
      }
      serveStudio(req, res)
    }

    const secure = createSecureServer({key: tls.key, cert: tls.cert, allowHTTP1: true}, app)
    const plain = createHttpServer(app)
    const sockets = new Set<Socket>()
    const sessions = new Set<Http2Session>()
    const presence = new Set<() => void>()
    secure.on('session', (h2: Http2Session) => {
      sessions.add(h2)
      h2.on('close', () => sessions.delete(h2))
    })
    const upgrade = (req: IncomingMessage, socket: Duplex) => {
      const key = req.headers['sec-websocket-key']
      const path = new URL(req.url ?? '/', 'https://server.invalid').pathname
      if (typeof key !== 'string' || !/^\/v[^/]+\/socket\/[^/]+$/.test(path) || !isLoopbackHost(req.headers.host)) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')
        return
      }
      const close = acceptPresenceSocket(key, socket)
      presence.add(close)
      socket.on('close', () => presence.delete(close))
    }
    secure.on('upgrade', upgrade)
    plain.on('upgrade', upgrade)
    for (const server of [secure, plain]) {
      server.on('clientError', (_error: Error, socket: Duplex) => socket.destroy())
    }

    const front = createNetServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => socket.destroy())
      socket.once('data', (first: Buffer) => {
        socket.pause()
        socket.unshift(first)
        ;(first[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket)
        process.nextTick(() => socket.resume())
      })
    })
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

    let closing: Promise<void> | undefined
    return {
      studioUrl: `${studioOrigin()}/`,
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
            void store.close().then(resolveClose)
          })
          plain.closeIdleConnections()
          // Whatever is still open after a moment is cut, so close() never hangs.
          setTimeout(() => {
            for (const socket of sockets) socket.destroy()
          }, 250).unref()
        })
        return closing
      },
    }
  } catch (error) {
    await store.close()
    throw error
  }
}

/** Runs a Fetch handler for a Node request; errors become a bare 500 (details only in the log). */
async function serveApp(handler: AppHandler, req: AnyRequest, res: AnyResponse, log: (line: string) => void) {
  try {
    const response =
      (await handler(toFetchRequest(req))) ??
      new Response('Not found\n', {status: 404, headers: {'content-type': 'text/plain; charset=utf-8'}})
    await writeFetchResponse(req, res, response)
  } catch (error) {
    log(`app handler failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    if (!res.headersSent) {
      res.statusCode = 500
      res.end('Internal error\n')
    } else {
      res.end()
    }
  }
}
