import {AsyncLocalStorage} from 'node:async_hooks'
import {randomUUID} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Http2ServerRequest, Http2ServerResponse} from 'node:http2'
import type {Duplex} from 'node:stream'

import {errorStack, internalErrorBody, sendJson} from '../lake/http'

export type AnyRequest = IncomingMessage | Http2ServerRequest
export type AnyResponse = ServerResponse | Http2ServerResponse

/** How an error answer is written: Sanity's JSON error shape, or a small HTML page for page routes. */
export type ErrorFormat = 'json' | 'html'

type Scope = (
  | {kind: 'request'; req: AnyRequest; res: AnyResponse; format: ErrorFormat}
  | {kind: 'upgrade'; req: IncomingMessage; socket: Duplex}
) & {failed: boolean; fail: (scope: Scope, error: unknown, how: string) => void}

/**
 * Every request runs inside one scope of this storage, so an exception that escapes as an
 * event or a timer callback (`uncaughtException`, `unhandledRejection`) is still traced back
 * to the request it came from, answered 500 and logged once, and the process lives on.
 */
const scopes = new AsyncLocalStorage<Scope>()

export interface Boundary {
  /** Runs a request handler; anything it throws or rejects with is answered 500 and logged once. */
  request(req: AnyRequest, res: AnyResponse, format: ErrorFormat, handler: () => void | Promise<void>): void
  /** Runs an `upgrade` handler; a failure logs once and destroys the socket. */
  upgrade(req: IncomingMessage, socket: Duplex, handler: () => void): void
  /** Runs a callback that is not a request (a socket's data handler, say) and logs what it throws. */
  guard(what: string, callback: () => void): void
  /** Removes the process-level handlers once the last boundary closes. */
  close(): void
}

/** Writes an error answer in the format of the route, unless the response is already under way. */
export function answerError(res: AnyResponse, format: ErrorFormat, statusCode: number, type: string, description: string): void {
  if (res.writableEnded || res.destroyed) return
  if (res.headersSent) {
    res.end()
    return
  }
  if (format === 'json') {
    sendJson(res, statusCode, {error: {type, description}, statusCode})
    return
  }
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${statusCode}</title></head><body><h1>${escapeHtml(
    statusCode >= 500 ? 'Something went wrong' : 'This request cannot be answered',
  )}</h1><p>${escapeHtml(description)}</p></body></html>\n`
  res.statusCode = statusCode
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(html))
  res.setHeader('cache-control', 'no-store')
  res.end(html)
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)
}

/** The logs of the servers running in this process, for errors that belong to no request. */
const live = new Set<{log: (line: string) => void}>()

/** Creates the error boundary of one server; `log` gets one line per failure (with its stack). */
export function createBoundary(log: (line: string) => void): Boundary {
  const entry = {log}
  const fail = (scope: Scope, error: unknown, how: string) => {
    const reference = randomUUID().slice(0, 8)
    const what = `${scope.req.method ?? '?'} ${String(scope.req.url).slice(0, 200)}`
    log(`request failed${scope.failed ? ' again' : ''} (${how}) [${reference}] ${what}: ${errorStack(error)}`)
    scope.failed = true
    try {
      if (scope.kind === 'upgrade') {
        scope.socket.destroy()
      } else if (scope.format === 'json') {
        if (!scope.res.writableEnded && !scope.res.destroyed) sendJson(scope.res, 500, internalErrorBody(reference))
      } else {
        answerError(scope.res, 'html', 500, 'internalError', `The server log has the details (reference ${reference}).`)
      }
    } catch (answerFailure) {
      // The connection is already gone or broken: cut it.
      log(`could not answer the failed request [${reference}]: ${errorStack(answerFailure)}`)
      if (scope.kind === 'request') scope.res.destroy()
    }
  }

  const boundary: Boundary = {
    request(req, res, format, handler) {
      const scope: Scope = {kind: 'request', req, res, format, failed: false, fail}
      scopes.run(scope, () => {
        // Stream errors (a reset HTTP/2 stream, a connection cut mid-body) are the client's doing.
        req.on('error', () => {})
        res.on('error', () => {})
        try {
          const pending = handler()
          if (pending) pending.catch((error: unknown) => fail(scope, error, 'rejected'))
        } catch (error) {
          fail(scope, error, 'thrown')
        }
      })
    },
    upgrade(req, socket, handler) {
      const scope: Scope = {kind: 'upgrade', req, socket, failed: false, fail}
      scopes.run(scope, () => {
        socket.on('error', () => socket.destroy())
        try {
          handler()
        } catch (error) {
          fail(scope, error, 'thrown')
        }
      })
    },
    guard(what, callback) {
      try {
        callback()
      } catch (error) {
        log(`${what} failed: ${errorStack(error)}`)
      }
    },
    close() {
      live.delete(entry)
      if (live.size === 0) {
        process.off('uncaughtException', onUncaught)
        process.off('unhandledRejection', onUncaught)
      }
    },
  }
  if (live.size === 0) {
    process.on('uncaughtException', onUncaught)
    process.on('unhandledRejection', onUncaught)
  }
  live.add(entry)
  return boundary
}

/** Errors that a client's connection raises (resets, broken pipes, HTTP/2 stream and session errors). */
export function isConnectionError(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  return /^(ECONNRESET|EPIPE|ECONNABORTED|ETIMEDOUT|ERR_STREAM_|ERR_HTTP2_|ERR_TLS_|ERR_SSL_|HPE_|ERR_HTTP_)/.test(code) || code === 'ERR_SOCKET_CLOSED'
}

/**
 * The process-level net: an exception from a request's callbacks is that request's failure;
 * a client's connection error is logged and dropped; anything else is a bug outside any
 * request, so the process ends as Node would end it (unless another handler, such as a test
 * runner's, is listening too).
 */
function onUncaught(error: unknown): void {
  const scope = scopes.getStore()
  if (scope) {
    scope.fail(scope, error, 'escaped as an event')
    return
  }
  const logs = [...live].map((server) => server.log)
  if (isConnectionError(error)) {
    for (const log of logs) log(`connection error outside a request: ${errorStack(error)}`)
    return
  }
  for (const log of logs) log(`uncaught error outside any request: ${errorStack(error)}`)
  if (process.listenerCount('uncaughtException') <= 1) {
    process.stderr.write(`${errorStack(error)}\n`)
    process.exit(1)
  }
}
