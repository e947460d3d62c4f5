import {randomBytes} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {resolve} from 'node:path'

import {defaultLakeDir, defaultLakePort, lakeTokenPath} from '../lib/env'
import {createLakeHandler, type LakeHandler} from './http'
import {LakeStore} from './store'

export interface StartLakeOptions {
  /** Default 3434; 0 picks a free port. */
  port?: number
  /** Loopback only: `127.0.0.1` (default) or `::1`. */
  host?: string
  /** Data folder. Default `.lake`. */
  dir?: string
  /** Write token. Default: SANITY_API_WRITE_TOKEN, else the token file in `dir`, else a new one saved there. */
  token?: string
  /** Request body limit in bytes. Default 32 MiB. */
  maxBodyBytes?: number
  /** Listener keepalive interval in ms. Default 15000. */
  keepAliveMs?: number
  /** Browser origins that may call the API with credentials (CORS). Default: none. */
  corsOrigins?: readonly string[]
  /** Time budget of one query in ms (408 past it). Default 10 000. */
  queryTimeoutMs?: number
  /** Number of query worker threads. Default 2. */
  queryWorkers?: number
  /** Largest serialized query result in bytes (413 past it). Default 64 MiB. */
  maxResponseBytes?: number
  /** Days of document history kept (0: everything). Default 365. */
  historyRetentionDays?: number
  /** Where status lines go (token location, errors). Default: nowhere. */
  log?: (line: string) => void
}

export interface RunningLake {
  /** e.g. `http://127.0.0.1:3434` — use it as `apiHost`. */
  url: string
  port: number
  token: string
  /** Where the token is kept, when it came from (or was written to) the data folder. */
  tokenFile: string | undefined
  dir: string
  store: LakeStore
  handler: LakeHandler
  server: Server
  /** Ends listener streams, stops the server and closes the datasets. */
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1'])

/** Resolves the lake token: explicit, SANITY_API_WRITE_TOKEN, the token file, or a new one written with mode 0600. */
export function resolveLakeToken(
  dir: string,
  explicit?: string,
  env: Record<string, string | undefined> = process.env,
): {token: string; tokenFile: string | undefined; generated: boolean} {
  if (explicit) return {token: explicit, tokenFile: undefined, generated: false}
  if (env.SANITY_API_WRITE_TOKEN) return {token: env.SANITY_API_WRITE_TOKEN, tokenFile: undefined, generated: false}
  const tokenFile = lakeTokenPath(dir)
  if (existsSync(tokenFile)) {
    const stored = readFileSync(tokenFile, 'utf8').trim()
    if (stored) {
      chmodSync(tokenFile, 0o600)
      return {token: stored, tokenFile, generated: false}
    }
  }
  mkdirSync(dir, {recursive: true})
  const token = `lake_${randomBytes(32).toString('base64url')}`
  writeFileSync(tokenFile, `${token}\n`, {mode: 0o600})
  // The mode option is subject to umask; make sure it is exactly 0600.
  chmodSync(tokenFile, 0o600)
  return {token, tokenFile, generated: true}
}

/** Starts the lake on loopback. */
export async function startLake(options: StartLakeOptions = {}): Promise<RunningLake> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK.has(host)) throw new Error(`The lake only listens on loopback (127.0.0.1 or ::1), not "${host}"`)
  const dir = resolve(options.dir ?? defaultLakeDir)
  const log = options.log ?? (() => {})
  const store = new LakeStore(dir, {
    log,
    ...(options.queryTimeoutMs === undefined ? {} : {queryTimeoutMs: options.queryTimeoutMs}),
    ...(options.queryWorkers === undefined ? {} : {queryWorkers: options.queryWorkers}),
    ...(options.maxResponseBytes === undefined ? {} : {maxResponseBytes: options.maxResponseBytes}),
  })
  try {
    const {token, tokenFile, generated} = resolveLakeToken(dir, options.token)
    if (tokenFile) log(`lake token ${generated ? 'written to' : 'read from'} ${tokenFile}`)
    const handler = createLakeHandler(store, {
      token,
      log,
      ...(options.maxBodyBytes === undefined ? {} : {maxBodyBytes: options.maxBodyBytes}),
      ...(options.keepAliveMs === undefined ? {} : {keepAliveMs: options.keepAliveMs}),
      ...(options.corsOrigins === undefined ? {} : {corsOrigins: options.corsOrigins}),
      ...(options.queryTimeoutMs === undefined ? {} : {queryTimeoutMs: options.queryTimeoutMs}),
      ...(options.historyRetentionDays === undefined ? {} : {historyRetentionDays: options.historyRetentionDays}),
    })
    const server = createServer(handler)
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? defaultLakePort, host, () => {
        server.off('error', reject)
        resolveListen()
      })
    })
    const {port} = server.address() as AddressInfo
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
    let closing: Promise<void> | undefined
    return {
      url,
      port,
      token,
      tokenFile,
      dir,
      store,
      handler,
      server,
      close: () => {
        closing ??= new Promise<void>((resolveClose) => {
          handler.closeStreams()
          server.close(() => {
            void store.close().then(resolveClose)
          })
          server.closeIdleConnections()
          // Streams were ended above; anything still open is cut so close() never hangs.
          setTimeout(() => server.closeAllConnections(), 250).unref()
        })
        return closing
      },
    }
  } catch (error) {
    await store.close()
    throw error
  }
}
