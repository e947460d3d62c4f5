import {createHash} from 'node:crypto'
import type {Duplex} from 'node:stream'

/**
 * The presence socket (`/v…/socket/<dataset>`, Sanity's "bifur" JSON-RPC over WebSocket).
 * There is one editor locally, so nobody's presence is ever reported: requests get an
 * empty success answer (so the Studio does not wait), subscriptions never emit, and a
 * heartbeat keeps the Studio's connection indicator green.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const HEARTBEAT = '\u2665'

export interface SocketOptions {
  heartbeatMs?: number
  /** Largest frame a client may send; a larger one closes the socket with 1009. Default 64 KiB. */
  maxFrameBytes?: number
  /** Answers queued for a client that does not read them; past this the socket is cut. Default 1 MiB. */
  maxBufferedBytes?: number
  /** A socket idle this long (nothing sent either way) is closed. Default 120 s. */
  idleMs?: number
  /** Bytes that arrived with the upgrade request, after its headers. */
  head?: Buffer
  /** Runs a data callback and logs what it throws (the server's error boundary). */
  guard?: (what: string, callback: () => void) => void
  /** Told why, each time this side ends the socket (not when the client closes it). */
  onClosedByServer?: (reason: string) => void
}

/** Close codes (RFC 6455 §7.4.1). */
const PROTOCOL_ERROR = 1002
const TOO_BIG = 1009

/** Completes the WebSocket handshake on an upgraded HTTP/1.1 socket; returns a function that closes it. */
export function acceptPresenceSocket(key: string, socket: Duplex & {setTimeout?(ms: number, callback?: () => void): unknown}, options: SocketOptions = {}): () => void {
  const maxFrameBytes = options.maxFrameBytes ?? 64 * 1024
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024
  const guard = options.guard ?? ((_what: string, callback: () => void) => callback())
  const closedByServer = options.onClosedByServer ?? (() => {})
  const accept = createHash('sha1').update(key + GUID).digest('base64')
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
  let buffer: Buffer = Buffer.alloc(0)
  let subscriptions = 0
  let closed = false
  /** Writes a frame, unless the client has stopped reading what it was sent. */
  const write = (bytes: Buffer) => {
    if (socket.destroyed) return
    if (socket.writableLength > maxBufferedBytes) {
      closedByServer(`the client left more than ${maxBufferedBytes} bytes unread`)
      socket.destroy()
      return
    }
    socket.write(bytes)
  }
  const send = (text: string) => {
    if (!closed) write(frame(0x1, Buffer.from(text)))
  }
  const heartbeat = setInterval(() => send(HEARTBEAT), options.heartbeatMs ?? 20_000)
  heartbeat.unref()
  const close = (code?: number, reason?: string) => {
    clearInterval(heartbeat)
    if (closed) return
    closed = true
    if (reason !== undefined) closedByServer(reason)
    const payload = Buffer.alloc(code === undefined ? 0 : 2)
    if (code !== undefined) payload.writeUInt16BE(code)
    if (!socket.destroyed) socket.end(frame(0x8, payload))
    // A peer that does not finish the closing handshake is cut.
    setTimeout(() => socket.destroy(), 1000).unref()
  }
  const idleMs = options.idleMs ?? 120_000
  socket.setTimeout?.(idleMs, () => {
    closedByServer(`idle for ${idleMs} ms`)
    socket.destroy()
  })
  const receive = (chunk: Buffer) =>
    guard('presence socket', () => {
      if (closed) return
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk])
      for (;;) {
        const parsed = readFrame(buffer, maxFrameBytes)
        if (parsed === undefined) {
          // An incomplete frame never holds more than one frame's worth of bytes.
          if (buffer.length > maxFrameBytes + 14) close(TOO_BIG, `a frame over ${maxFrameBytes} bytes`)
          return
        }
        if ('error' in parsed) return close(parsed.error, parsed.error === TOO_BIG ? `a frame over ${maxFrameBytes} bytes` : 'a frame that breaks the WebSocket protocol')
        buffer = buffer.subarray(parsed.length)
        if (parsed.opcode === 0x8) return close()
        if (parsed.opcode === 0x9) write(frame(0xa, parsed.payload))
        if (parsed.opcode === 0x1) {
          const reply = answer(parsed.payload.toString('utf8'), () => `local-${++subscriptions}`)
          if (reply) send(reply)
        }
      }
    })
  socket.on('data', receive)
  socket.on('error', () => socket.destroy())
  socket.on('close', () => clearInterval(heartbeat))
  if (options.head && options.head.length > 0) receive(options.head)
  return () => close(undefined, 'the server is shutting down')
}

function answer(text: string, nextSubscription: () => string): string | undefined {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof message !== 'object' || message === null || !('id' in message) || !('method' in message)) return undefined
  const method = String(message.method)
  const result = method.endsWith('_subscribe') ? nextSubscription() : method === 'authorization' ? true : null
  return JSON.stringify({jsonrpc: '2.0', id: message.id, result})
}

function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length
  const header = length < 126 ? Buffer.alloc(2) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10)
  header[0] = 0x80 | opcode
  if (length < 126) header[1] = length
  else if (length < 65536) {
    header[1] = 126
    header.writeUInt16BE(length, 2)
  } else {
    header[1] = 127
    header.writeBigUInt64BE(BigInt(length), 2)
  }
  return Buffer.concat([header, payload])
}

/**
 * One client frame, undefined until it has fully arrived, or the close code for a frame that
 * breaks the rules: unmasked (clients must mask), fragmented or reserved bits set (never sent
 * by the Studio), or larger than `maxBytes`.
 */
function readFrame(buffer: Buffer, maxBytes: number): {opcode: number; payload: Buffer; length: number} | {error: number} | undefined {
  if (buffer.length < 2) return undefined
  const first = buffer[0] ?? 0
  const second = buffer[1] ?? 0
  if ((first & 0x80) === 0 || (first & 0x70) !== 0 || (second & 0x80) === 0) return {error: PROTOCOL_ERROR}
  let length = second & 0x7f
  let offset = 2
  if (length === 126) {
    if (buffer.length < 4) return undefined
    length = buffer.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (buffer.length < 10) return undefined
    const long = buffer.readBigUInt64BE(2)
    if (long > BigInt(maxBytes)) return {error: TOO_BIG}
    length = Number(long)
    offset = 10
  }
  if (length > maxBytes) return {error: TOO_BIG}
  const maskStart = offset
  offset += 4
  if (buffer.length < offset + length) return undefined
  const payload = Buffer.from(buffer.subarray(offset, offset + length))
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (buffer[maskStart + (i % 4)] ?? 0)
  return {opcode: first & 0x0f, payload, length: offset + length}
}
