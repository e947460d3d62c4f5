import type {IncomingMessage, OutgoingHttpHeaders, ServerResponse} from 'node:http'
import type {Http2ServerRequest, Http2ServerResponse} from 'node:http2'

import {requestTargetUrl, UNREADABLE_TARGET} from '../lib/request-target'
import {recordClientAddress} from './client-address'
import {errorResponse} from './errors'

/** A request from `node:http` or from the `node:http2` compatibility API. */
export type NodeRequest = IncomingMessage | Http2ServerRequest
/** A response from `node:http` or from the `node:http2` compatibility API. */
export type NodeResponse = ServerResponse | Http2ServerResponse

export type FetchHandler = (request: Request) => Promise<Response>

export interface NodeListenerOptions {
  /**
   * How much of an unread request body (say after a 413) is read and thrown away so the connection
   * can be reused and the client sees the answer; past this the connection is cut. Default 1 MiB.
   */
  drainLimitBytes?: number
  /** Called when the handler throws; the client gets a bare 500. Default: `console.error`. */
  onError?: (error: unknown) => void
}

const DEFAULT_DRAIN_LIMIT = 1024 * 1024
/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); node:http2 throws on them. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'])

/**
 * Wraps a Fetch handler as a `node:http` / `node:http2` (compat) request listener:
 * `createServer(toNodeListener(createCommentHandler({client})))`.
 */
export function toNodeListener(handler: FetchHandler, options: NodeListenerOptions = {}): (req: NodeRequest, res: NodeResponse) => void {
  const drainLimit = options.drainLimitBytes ?? DEFAULT_DRAIN_LIMIT
  const onError = options.onError ?? ((error: unknown) => console.error('comments: the handler failed', error))
  return (req, res) => {
    void (async () => {
      const aborter = new AbortController()
      let finished = false
      res.once('finish', () => (finished = true))
      // A client that goes away before the answer aborts the request's signal.
      res.once('close', () => finished || aborter.abort())
      let built: ReturnType<typeof buildRequest> | undefined
      let response: Response
      try {
        built = buildRequest(req, aborter.signal)
        response = await handler(built.request)
      } catch (error) {
        if (built) {
          onError(error)
          response = errorResponse('internalError', 'The comment handler failed; the server log has the details.')
        } else {
          // A target that is not a path, or headers the Fetch API refuses: the handler never sees it.
          response = errorResponse('invalidRequest', `The request cannot be read: ${error instanceof Error ? error.message : String(error)}`)
        }
      }
      try {
        await writeFetchResponse(req, res, response)
      } catch (error) {
        onError(error)
        req.destroy()
        return
      }
      // Whatever the handler left unread is no longer wanted by the Request body stream.
      built?.detach()
      drainRequest(req, drainLimit)
    })()
  }
}

/**
 * Builds a Fetch `Request` from a Node request; the body streams with backpressure. Throws on a
 * request target that is not a path (`*`, `x`): answer those 400, as `toNodeListener` does.
 */
export function toFetchRequest(req: NodeRequest, signal?: AbortSignal): Request {
  return buildRequest(req, signal).request
}

function buildRequest(req: NodeRequest, signal: AbortSignal | undefined): {request: Request; detach: () => void} {
  const method = req.method ?? 'GET'
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers (`:path`, `:authority`, …) are not headers.
    if (name.startsWith(':') || value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  const url = requestTargetUrl(req.url, originOf(req))
  if (!url) throw new TypeError(UNREADABLE_TARGET)
  const hasBody = method !== 'GET' && method !== 'HEAD'
  const body = hasBody ? bodyStream(req) : undefined
  const init: RequestInit & {duplex?: 'half'} = {
    method,
    headers,
    ...(signal ? {signal} : {}),
    // `duplex: 'half'` is required by undici for streamed bodies.
    ...(body ? {body: body.stream, duplex: 'half' as const} : {}),
  }
  const request = new Request(url, init)
  recordClientAddress(request, req.socket.remoteAddress)
  return {request, detach: () => body?.detach()}
}

/** The origin the request was sent to; a Host header that is no host falls back to localhost. */
function originOf(req: NodeRequest): string {
  const authority = req.headers[':authority'] ?? req.headers.host
  const protocol = 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http'
  try {
    if (typeof authority === 'string' && authority) return new URL(`${protocol}://${authority}`).origin
  } catch {
    // Falls back below.
  }
  return `${protocol}://localhost`
}

function bodyStream(req: NodeRequest): {stream: ReadableStream<Uint8Array>; detach: () => void} {
  let done = false
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on('data', (chunk: Buffer | string) => {
          if (done) return
          controller.enqueue(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk))
          if ((controller.desiredSize ?? 0) <= 0) req.pause()
        })
        req.once('end', () => {
          if (done) return
          done = true
          controller.close()
        })
        req.once('error', (error) => {
          if (done) return
          done = true
          controller.error(error)
        })
        req.once('close', () => {
          if (done) return
          done = true
          controller.error(new Error('The client closed the connection before the body was complete.'))
        })
        req.pause()
      },
      pull() {
        req.resume()
      },
      cancel() {
        // The rest is drained (or the connection cut) once the answer is out; see drainRequest.
        done = true
      },
    },
    {highWaterMark: 4},
  )
  return {
    stream,
    detach: () => {
      done = true
    },
  }
}

/** Sends a Fetch `Response` through a Node response, streaming the body. */
export async function writeFetchResponse(req: NodeRequest, res: NodeResponse, response: Response): Promise<void> {
  const http2 = req.httpVersionMajor === 2
  const headers: OutgoingHttpHeaders = {}
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie' || (http2 && CONNECTION_HEADERS.has(name))) return
    headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  const out: ResponseSink = res
  out.writeHead(response.status, headers)
  if (!response.body || req.method === 'HEAD') {
    await response.body?.cancel()
    await new Promise<void>((resolve) => out.end(resolve))
    return
  }
  const reader = response.body.getReader()
  for (;;) {
    const {done, value} = await reader.read()
    if (done) break
    if (!out.write(value)) await new Promise<void>((resolve) => out.once('drain', resolve))
  }
  await new Promise<void>((resolve) => out.end(resolve))
}

/** What both response classes offer, so one code path serves HTTP/1.1 and HTTP/2. */
interface ResponseSink {
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown
  write(chunk: Uint8Array): boolean
  end(callback?: () => void): unknown
  once(event: 'drain', listener: () => void): unknown
}

/** Reads and discards what is left of a body, up to a limit, so a keep-alive connection stays usable. */
function drainRequest(req: NodeRequest, limit: number): void {
  if (req.readableEnded || req.destroyed) return
  let discarded = 0
  req.on('data', (chunk: Buffer | string) => {
    discarded += chunk.length
    if (discarded > limit) req.destroy()
  })
  req.resume()
}
