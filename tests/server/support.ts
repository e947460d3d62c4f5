/** Raw clients for the app server's transports: bytes over plain TCP or TLS, and HTTP/2 streams. */
import {connect as h2connect, type ClientHttp2Session, type OutgoingHttpHeaders} from 'node:http2'
import {connect as netConnect, type Socket} from 'node:net'
import {connect as tlsConnect, type TLSSocket} from 'node:tls'

export interface RawAnswer {
  /** The status of the first response, 0 when the server answered nothing before closing. */
  status: number
  head: string
  body: string
  /** Milliseconds until the server closed the connection (or until `waitMs` ran out). */
  closedAfterMs: number
  closed: boolean
}

/**
 * Sends raw bytes (plain TCP, or TLS with ALPN http/1.1) and collects what comes back until the
 * server closes the connection or `waitMs` passes.
 */
export function rawExchange(
  port: number,
  bytes: Buffer | string | undefined,
  options: {tls?: boolean; waitMs?: number; host?: string} = {},
): Promise<RawAnswer> {
  const waitMs = options.waitMs ?? 5000
  return new Promise((resolve) => {
    const started = Date.now()
    const chunks: Buffer[] = []
    let done = false
    const socket: Socket | TLSSocket = options.tls
      ? tlsConnect({port, host: '127.0.0.1', servername: options.host ?? 'local.localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1']}, () => send())
      : netConnect({port, host: '127.0.0.1'}, () => send())
    const send = () => {
      if (bytes !== undefined && bytes.length > 0) socket.write(bytes)
    }
    const finish = (closed: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const head = split >= 0 ? text.slice(0, split) : text
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]
      resolve({status: status ? Number(status) : 0, head, body: split >= 0 ? text.slice(split + 4) : '', closedAfterMs: Date.now() - started, closed})
    }
    const timer = setTimeout(() => finish(false), waitMs)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => finish(true))
    socket.on('close', () => finish(true))
  })
}

/** An HTTP/2 session over TLS to the server, as a browser opens one (the certificate is self-signed). */
export function openH2(port: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://localhost:${port}`, {rejectUnauthorized: false})
    session.once('connect', () => resolve(session))
    session.once('error', reject)
  })
}

export interface H2Answer {
  /** 0 when the stream was reset or the session went away before a response. */
  status: number
  headers: Record<string, unknown>
  body: string
}

/** One HTTP/2 request; never rejects (a reset stream or a dead session answers status 0). */
export function h2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: Buffer | string, options: {endStream?: boolean; timeoutMs?: number} = {}): Promise<H2Answer> {
  return new Promise((resolve) => {
    let answer: H2Answer = {status: 0, headers: {}, body: ''}
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve(answer)
    }
    const timer = setTimeout(() => {
      stream?.close()
      finish()
    }, options.timeoutMs ?? 10_000)
    let stream: ReturnType<ClientHttp2Session['request']> | undefined
    try {
      stream = session.request(headers, {endStream: body === undefined && options.endStream !== false})
    } catch {
      finish()
      return
    }
    const chunks: Buffer[] = []
    stream.on('response', (received) => {
      answer = {...answer, status: Number(received[':status']), headers: received}
    })
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    stream.on('end', () => {
      answer = {...answer, body: Buffer.concat(chunks).toString('utf8')}
      finish()
    })
    stream.on('close', () => {
      answer = {...answer, body: Buffer.concat(chunks).toString('utf8')}
      finish()
    })
    stream.on('error', () => finish())
    if (body !== undefined) {
      if (options.endStream === false) stream.write(body)
      else stream.end(body)
    }
  })
}

/** Masks a client WebSocket frame (RFC 6455 §5.3), or leaves it unmasked to break the rules. */
export function wsFrame(opcode: number, payload: Buffer, options: {mask?: boolean; declaredLength?: bigint} = {}): Buffer {
  const mask = options.mask ?? true
  const length = options.declaredLength ?? BigInt(payload.length)
  const head = length < 126n ? Buffer.alloc(2) : length < 65536n ? Buffer.alloc(4) : Buffer.alloc(10)
  head[0] = 0x80 | opcode
  if (length < 126n) head[1] = Number(length)
  else if (length < 65536n) {
    head[1] = 126
    head.writeUInt16BE(Number(length), 2)
  } else {
    head[1] = 127
    head.writeBigUInt64BE(length, 2)
  }
  if (!mask) return Buffer.concat([head, payload])
  head[1] = (head[1] ?? 0) | 0x80
  const key = Buffer.from([1, 2, 3, 4])
  const masked = Buffer.from(payload.map((byte, index) => byte ^ (key[index % 4] ?? 0)))
  return Buffer.concat([head, key, masked])
}

/** The close code in a server's close frame, if the bytes hold one. */
export function closeCodeIn(bytes: Buffer): number | undefined {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0x88 && bytes[i + 1] === 2) return bytes.readUInt16BE(i + 2)
  }
  return undefined
}
