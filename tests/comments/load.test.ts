import {describe, expect, it} from 'vitest'

import {runCommentLoad} from '../../comments/load'

describe('a short load run (10 clients for 2 seconds, a moderator approving meanwhile)', () => {
  it('stores every accepted comment exactly once, stores nothing it refused and never answers 5xx', async () => {
    const result = await runCommentLoad({clients: 10, durationMs: 2000})
    expect(result.problems).toStrictEqual([])
    // Every request was either accepted or one of the deliberately invalid ones (one in ten).
    expect(Object.keys(result.statuses).sort()).toStrictEqual(['201', '400'])
    expect(result.accepted).toBeGreaterThan(0)
    expect(result.replies).toBeGreaterThan(0)
    expect(result.approvedByModerator).toBeGreaterThan(0)
  })
})
