/** How many requests one client may make in a sliding window. */
export interface RateLimitOptions {
  windowMs: number
  max: number
  /** Most clients tracked at once; the least recently seen are forgotten first. Default 50 000. */
  maxClients?: number
}

export type RateLimitDecision = {allowed: true} | {allowed: false; retryAfterMs: number}

const DEFAULT_MAX_CLIENTS = 50_000

/**
 * A sliding-log limiter kept in memory. Client keys (usually addresses) are stored only as
 * HMAC-SHA-256 digests under a per-process random key, so a heap dump reveals no addresses and
 * the digests cannot be matched against a list of candidate addresses after a restart.
 */
export class SlidingWindowRateLimiter {
  readonly windowMs: number
  readonly max: number
  readonly #maxClients: number
  /** Digest → request times (ms), oldest first. Map order doubles as least-recently-seen order. */
  readonly #hits = new Map<string, number[]>()
  readonly #hmacKey: Promise<CryptoKey>
  #lastSweep = 0

  constructor(options: RateLimitOptions) {
    if (!(Number.isFinite(options.windowMs) && options.windowMs > 0)) throw new RangeError('rateLimit.windowMs must be a positive number of milliseconds')
    if (!(Number.isInteger(options.max) && options.max > 0)) throw new RangeError('rateLimit.max must be a positive whole number')
    this.windowMs = options.windowMs
    this.max = options.max
    this.#maxClients = options.maxClients ?? DEFAULT_MAX_CLIENTS
    // Web Crypto keeps the limiter usable outside Node (edge runtimes).
    this.#hmacKey = crypto.subtle.generateKey({name: 'HMAC', hash: 'SHA-256'}, false, ['sign'])
  }

  /** Records a request by `clientKey` at `nowMs` unless the client is over its limit. */
  async hit(clientKey: string, nowMs: number): Promise<RateLimitDecision> {
    const digest = await this.#digest(clientKey)
    this.#sweep(nowMs)
    const since = nowMs - this.windowMs
    const times = (this.#hits.get(digest) ?? []).filter((time) => time > since)
    this.#hits.delete(digest)
    if (times.length >= this.max) {
      this.#hits.set(digest, times)
      const oldest = times[0] ?? nowMs
      return {allowed: false, retryAfterMs: Math.max(1, oldest + this.windowMs - nowMs)}
    }
    times.push(nowMs)
    this.#hits.set(digest, times)
    this.#evictOverflow()
    return {allowed: true}
  }

  /** The digests currently tracked (for tests and monitoring; never the raw keys). */
  trackedDigests(): string[] {
    return [...this.#hits.keys()]
  }

  async #digest(clientKey: string): Promise<string> {
    const signature = await crypto.subtle.sign('HMAC', await this.#hmacKey, new TextEncoder().encode(clientKey))
    return Array.from(new Uint8Array(signature), (byte) => byte.toString(16).padStart(2, '0')).join('')
  }

  /** Drops clients idle for a whole window, at most once per window, so memory follows active clients. */
  #sweep(nowMs: number): void {
    if (nowMs - this.#lastSweep < this.windowMs) return
    this.#lastSweep = nowMs
    const since = nowMs - this.windowMs
    for (const [digest, times] of this.#hits) {
      const last = times[times.length - 1]
      if (last === undefined || last <= since) this.#hits.delete(digest)
    }
  }

  #evictOverflow(): void {
    for (const digest of this.#hits.keys()) {
      if (this.#hits.size <= this.#maxClients) return
      this.#hits.delete(digest)
    }
  }
}
