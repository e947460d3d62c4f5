import {describe, expect, it} from 'vitest'

import {SlidingWindowRateLimiter} from '../../comments/index'

describe('the sliding-window rate limiter', () => {
  it('allows max requests per window, then says how long until the oldest one slides out', async () => {
    const limiter = new SlidingWindowRateLimiter({windowMs: 1000, max: 2})
    const decisions = [
      await limiter.hit('a', 0),
      await limiter.hit('a', 400),
      await limiter.hit('a', 900),
      await limiter.hit('a', 1000),
      await limiter.hit('a', 1001),
      await limiter.hit('a', 1300),
      await limiter.hit('a', 1401),
    ]
    expect(decisions).toStrictEqual([
      {allowed: true},
      {allowed: true},
      {allowed: false, retryAfterMs: 100},
      // At exactly one window after the first request it has slid out.
      {allowed: true},
      {allowed: false, retryAfterMs: 399},
      {allowed: false, retryAfterMs: 100},
      {allowed: true},
    ])
  })

  it('does not count refused requests, so a client that keeps trying still gets through when the window slides', async () => {
    const limiter = new SlidingWindowRateLimiter({windowMs: 1000, max: 1})
    await limiter.hit('a', 0)
    for (let time = 100; time < 1000; time += 100) expect((await limiter.hit('a', time)).allowed).toBe(false)
    expect(await limiter.hit('a', 1000)).toStrictEqual({allowed: true})
  })

  it('keeps clients apart and stores only keyed digests, never the keys themselves', async () => {
    const limiter = new SlidingWindowRateLimiter({windowMs: 1000, max: 1})
    expect([await limiter.hit('203.0.113.7', 0), await limiter.hit('198.51.100.1', 0)]).toStrictEqual([{allowed: true}, {allowed: true}])
    const digests = limiter.trackedDigests()
    expect(digests).toHaveLength(2)
    for (const digest of digests) expect(digest).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(digests)).not.toMatch(/203\.0\.113\.7|198\.51\.100\.1/)
    // A second limiter (a restart) uses another secret, so digests cannot be matched across them.
    const other = new SlidingWindowRateLimiter({windowMs: 1000, max: 1})
    await other.hit('203.0.113.7', 0)
    expect(digests).not.toContain(other.trackedDigests()[0])
  })

  it('forgets clients that were idle for a whole window', async () => {
    const limiter = new SlidingWindowRateLimiter({windowMs: 1000, max: 5})
    await limiter.hit('a', 0)
    await limiter.hit('b', 500)
    await limiter.hit('c', 1400)
    expect(limiter.trackedDigests()).toHaveLength(2)
  })

  it('forgets the least recently seen clients past maxClients', async () => {
    const limiter = new SlidingWindowRateLimiter({windowMs: 60_000, max: 1, maxClients: 2})
    await limiter.hit('a', 0)
    await limiter.hit('b', 1)
    await limiter.hit('c', 2)
    // 'a' was forgotten, so it is allowed again; 'c' is still limited.
    expect([await limiter.hit('a', 3), await limiter.hit('c', 4)]).toStrictEqual([{allowed: true}, {allowed: false, retryAfterMs: 59_998}])
  })

  it('refuses settings that would not limit anything', () => {
    expect(() => new SlidingWindowRateLimiter({windowMs: 0, max: 1})).toThrow('rateLimit.windowMs must be a positive number of milliseconds')
    expect(() => new SlidingWindowRateLimiter({windowMs: 1000, max: 0.5})).toThrow('rateLimit.max must be a positive whole number')
  })
})
