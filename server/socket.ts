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
}

/** Completes the WebSocket handshake on an upgraded HTTP/1.1 socket; returns a function that closes it. */
export function acceptPresenceSocket(key: string, socket: Duplex, options: SocketOptions = {}): () => void {
  const accept = createHash('sha1').update(key + GUID).digest('base64')
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
  let buffer = Buffer.alloc(0)
  let subscriptions = 0
  const send = (text: string) => {
    if (!socket.destroyed) socket.write(frame(0x1, Buffer.from(text)))
  }
  const heartbeat = setInterval(() => send(HEARTBEAT), options.heartbeatMs ?? 20_000)
  heartbeat.unref()
  const close = () => {
    clearInterval(heartbeat)
    if (!socket.destroyed) socket.end(frame(0x8, Buffer.alloc(0)))
  }
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk])
    for (;;) {
      const parsed = readFrame(buffer)
      if (!parsed) break
      buffer = buffer.subarray(parsed.length)
      if (parsed.opcode === 0x8) return close()
      if (parsed.opcode === 0x9) socket.write(frame(0xa, parsed.payload))
      if (parsed.opcode === 0x1) {
        const reply = answer(parsed.payload.toString('utf8'), () => `local-${++subscriptions}`)
        if (reply) send(reply)
      }
    }
  })
  socket.on('error', () => socket.destroy())
  socket.on('close', () => clearInterval(heartbeat))
  return close
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

/** One client frame (clients always mask), or undefined until it has fully arrived. */
function readFrame(buffer: Buffer): {opcode: number; payload: Buffer; length: number} | undefined {
  if (buffer.length < 2) return undefined
  const first = buffer[0] ?? 0
  const second = buffer[1] ?? 0
  let length = second & 0x7f
  let offset = 2
  if (length === 126) {
    if (buffer.length < 4) return undefined
    length = buffer.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (buffer.length < 10) return undefined
    length = Number(buffer.readBigUInt64BE(2))
    offset = 10
  }
  const masked = (second & 0x80) !== 0
  const maskStart = offset
  if (masked) offset += 4
  if (buffer.length < offset + length) return undefined
  const payload = Buffer.from(buffer.subarray(offset, offset + length))
  if (masked) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (buffer[maskStart + (i % 4)] ?? 0)
  return {opcode: first & 0x0f, payload, length: offset + length}
}
