import {createClient, type SanityDocument} from '@sanity/client'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {privateCommentId} from '../../comments/ids'
import {createCommentHandler, renderCommentHtml} from '../../comments/index'
import {
  answer,
  APPROVED_ON_ARRIVAL,
  APPROVED_ON_HER,
  DRAFT_ONLY_SLUG,
  HER_REVIEW,
  HER_SLUG,
  PENDING_ON_HER,
  fieldErrors,
  postJson,
  PRIVATE_REVIEW_ID,
  PRIVATE_REVIEW_SLUG,
  refusal,
  serve,
  snapshot,
  SPAM_ON_HER,
  startCommentLake,
  type CommentLake,
  type Served,
} from './support'

const NOW = '2025-06-01T12:00:00.000Z'
const GENERATED_ID = /^comment-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const MAX_BODY_BYTES = 64 * 1024

let env: CommentLake
let served: Served

beforeAll(async () => {
  env = await startCommentLake()
  served = await serve(
    createCommentHandler({
      client: env.client,
      now: () => new Date(NOW),
      // This suite sends many requests from one address; the limit has its own suite below.
      rateLimit: {windowMs: 60_000, max: 10_000},
      maxBodyBytes: MAX_BODY_BYTES,
      onError: () => {},
    }),
  )
})

afterAll(async () => {
  await served?.close()
  await env?.close()
})

/** The stored document as the lake has it, with Sanity's system fields; `id` is the public id the answer named. */
function stored(id: string): Promise<SanityDocument | null> {
  return env.client.fetch<SanityDocument | null>('*[_id == $id][0]', {id: privateCommentId(id)}, {perspective: 'raw'})
}

/** What a new comment looks like in the lake: exactly these fields and no others. */
function expectedComment(fields: {id: string; authorName: string; body: string; parent?: string; review?: string; status?: string}) {
  return {
    // Submissions are stored at the private id until a moderator approves them.
    _id: privateCommentId(fields.id),
    _type: 'comment',
    _rev: expect.any(String),
    _createdAt: expect.any(String),
    _updatedAt: expect.any(String),
    review: {_type: 'reference', _ref: fields.review ?? HER_REVIEW},
    ...(fields.parent ? {parent: {_type: 'reference', _ref: fields.parent, _weak: true}} : {}),
    authorName: fields.authorName,
    body: fields.body,
    status: fields.status ?? 'pending',
    createdAt: NOW,
  }
}

/** Sends a request that must be rejected and checks that the dataset is exactly as before. */
async function rejected(send: () => Promise<Awaited<ReturnType<typeof answer>>>) {
  const before = await snapshot(env.client)
  const result = await send()
  expect(await snapshot(env.client)).toStrictEqual(before)
  return {status: result.status, body: result.body}
}

/** Posts a valid comment and returns the new document's id, checking the answer's shape. */
async function accepted(send: () => Promise<Awaited<ReturnType<typeof answer>>>): Promise<string> {
  const before = await snapshot(env.client)
  const result = await send()
  expect(result.status).toBe(201)
  const {id} = result.body as {id: string}
  expect(result.body).toStrictEqual({id: expect.stringMatching(GENERATED_ID), status: 'pending'})
  const after = await snapshot(env.client)
  // Exactly one document more, at the private id of the one the answer names.
  expect(after.map((document) => document._id)).toStrictEqual([...before.map((document) => document._id), privateCommentId(id)].sort())
  return id
}

describe('a valid submission', () => {
  it('is stored as a pending comment with exactly the allowed fields, trimmed, with LF line breaks', async () => {
    const id = await accepted(() =>
      postJson(served.url, {reviewSlug: HER_SLUG, authorName: '  Ada Lovelace  ', body: '  Loved it.\r\n\tSaw it twice.  '}),
    )
    expect(await stored(id)).toStrictEqual(expectedComment({id, authorName: 'Ada Lovelace', body: 'Loved it.\n\tSaw it twice.'}))
  })

  it('is stored as a reply when it answers an approved comment on the same review', async () => {
    const id = await accepted(() =>
      postJson(served.url, {reviewId: HER_REVIEW, parentId: APPROVED_ON_HER, authorName: 'Grace', body: 'I agree.'}),
    )
    expect(await stored(id)).toStrictEqual(expectedComment({id, authorName: 'Grace', body: 'I agree.', parent: APPROVED_ON_HER}))
  })

  it('may be sent as URL-encoded form data, with the empty honeypot and parent fields a form sends', async () => {
    const form = new URLSearchParams({reviewSlug: HER_SLUG, parentId: '', authorName: 'Form Reader', body: 'Line one\r\nLine two', website: ''})
    const id = await accepted(async () => answer(await fetch(served.url, {method: 'POST', body: form})))
    expect(await stored(id)).toStrictEqual(expectedComment({id, authorName: 'Form Reader', body: 'Line one\nLine two'}))
  })

  it('may be sent as multipart form data', async () => {
    const form = new FormData()
    form.set('reviewSlug', HER_SLUG)
    form.set('authorName', 'Multipart Reader')
    form.set('body', 'Sent from a file-upload form.')
    const id = await accepted(async () => answer(await fetch(served.url, {method: 'POST', body: form})))
    expect(await stored(id)).toStrictEqual(expectedComment({id, authorName: 'Multipart Reader', body: 'Sent from a file-upload form.'}))
  })

  it('may use the full 80-character name and 5000-character body, counted in characters, not bytes', async () => {
    const authorName = 'Ж'.repeat(80)
    const body = `${'é'.repeat(2500)}\n${'é'.repeat(2499)}`
    const id = await accepted(() => postJson(served.url, {reviewSlug: HER_SLUG, authorName, body}))
    expect(await stored(id)).toStrictEqual(expectedComment({id, authorName, body}))
  })

  it('answers like any other when the honeypot is filled in, but is stored as spam', async () => {
    const id = await accepted(() =>
      postJson(served.url, {reviewSlug: HER_SLUG, authorName: 'Bot', body: 'Cheap pills', website: 'https://spam.example'}),
    )
    expect(await stored(id)).toStrictEqual(expectedComment({id, authorName: 'Bot', body: 'Cheap pills', status: 'spam'}))
  })
})

describe('markup and query-like text in a comment', () => {
  it('is stored verbatim and comes back escaped, with line breaks as <br>, in rendered HTML', async () => {
    const body = '<script>alert("hi")</script>\n<b>bold</b> & \'quoted\''
    const id = await accepted(() => postJson(served.url, {reviewSlug: HER_SLUG, authorName: '<img src=x onerror=alert(1)>', body}))
    const document = await stored(id)
    expect(document).toStrictEqual(expectedComment({id, authorName: '<img src=x onerror=alert(1)>', body}))
    expect(renderCommentHtml({...(document as SanityDocument<{authorName: string; body: string; createdAt: string}>), _id: id})).toBe(
      `<article class="comment" id="${id}">` +
        '<p class="comment-meta"><span class="comment-author">&lt;img src=x onerror=alert(1)&gt;</span> <time datetime="2025-06-01T12:00:00.000Z">2025-06-01</time></p>' +
        '<p class="comment-body">&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;<br>&lt;b&gt;bold&lt;/b&gt; &amp; &#x27;quoted&#x27;</p>' +
        '</article>',
    )
  })

  it('that looks like GROQ is stored verbatim and changes nothing else', async () => {
    const body = '"] | *[_type=="comment"]{...} | order(_id) [0...100] // $review'
    const before = await snapshot(env.client)
    const id = await accepted(() => postJson(served.url, {reviewSlug: HER_SLUG, authorName: '*[_type=="review"]', body}))
    expect(await stored(id)).toStrictEqual(expectedComment({id, authorName: '*[_type=="review"]', body}))
    const after = await snapshot(env.client)
    expect(after.filter((document) => document._id !== privateCommentId(id))).toStrictEqual(before)
  })

  it('that looks like GROQ in the review slug is refused as a malformed slug, not run', async () => {
    expect(await rejected(() => postJson(served.url, {reviewSlug: '"] | *[_type=="comment"', authorName: 'A', body: 'B'}))).toStrictEqual({
      status: 400,
      body: fieldErrors([{field: 'reviewSlug', message: 'A review slug consists of lowercase letters, digits and single hyphens.'}]),
    })
  })
})

describe('an invalid field', () => {
  const valid = {reviewSlug: HER_SLUG, authorName: 'Ada', body: 'A fine review.'}
  const cases: Array<[string, Record<string, unknown>, Array<{field: string; message: string}>]> = [
    ['a missing author name', {reviewSlug: HER_SLUG, body: 'Hi'}, [{field: 'authorName', message: 'Please enter your name.'}]],
    ['an author name of only spaces', {...valid, authorName: '   \t '}, [{field: 'authorName', message: 'Please enter your name.'}]],
    ['an 81-character author name', {...valid, authorName: 'x'.repeat(81)}, [{field: 'authorName', message: 'An author name must be at most 80 characters.'}]],
    [
      'an author name with a line break',
      {...valid, authorName: 'Ada\nLovelace'},
      [{field: 'authorName', message: 'An author name cannot contain line breaks or control characters.'}],
    ],
    [
      'an author name with a right-to-left override',
      {...valid, authorName: 'Ada\u202Egnp.exe'},
      [{field: 'authorName', message: 'An author name cannot contain text-direction control characters.'}],
    ],
    ['an author name that is a number', {...valid, authorName: 42}, [{field: 'authorName', message: 'An author name must be text.'}]],
    ['a missing body', {reviewSlug: HER_SLUG, authorName: 'Ada'}, [{field: 'body', message: 'A comment cannot be empty.'}]],
    ['a body of only line breaks', {...valid, body: '\n\r\n  \n'}, [{field: 'body', message: 'A comment cannot be empty.'}]],
    ['a 5001-character body', {...valid, body: 'x'.repeat(5001)}, [{field: 'body', message: 'A comment must be at most 5000 characters.'}]],
    [
      'a body with a NUL character',
      {...valid, body: 'Hello\u0000world'},
      [{field: 'body', message: 'A comment cannot contain control characters other than line breaks and tabs.'}],
    ],
    [
      'a body with an escape sequence',
      {...valid, body: 'Hello \u001b[31mred'},
      [{field: 'body', message: 'A comment cannot contain control characters other than line breaks and tabs.'}],
    ],
    ['a body with half a surrogate pair', {...valid, body: 'Broken \ud83d text'}, [{field: 'body', message: 'A comment contains characters that are not valid text.'}]],
    ['a body that is a list', {...valid, body: ['a', 'b']}, [{field: 'body', message: 'A comment must be text.'}]],
    [
      'no review at all',
      {authorName: 'Ada', body: 'Hi'},
      [{field: 'reviewSlug', message: 'Say which review the comment is on with reviewSlug or reviewId.'}],
    ],
    [
      'both a review slug and a review id',
      {...valid, reviewId: HER_REVIEW},
      [{field: 'reviewSlug', message: 'Send either reviewSlug or reviewId, not both.'}],
    ],
    [
      'a review id of a draft',
      {reviewId: `drafts.${HER_REVIEW}`, authorName: 'Ada', body: 'Hi'},
      [{field: 'reviewId', message: 'A review id consists of letters, digits, underscores and hyphens.'}],
    ],
    [
      'a parent id with a dot',
      {...valid, parentId: `drafts.${APPROVED_ON_HER}`},
      [{field: 'parentId', message: 'The id of the comment you reply to consists of letters, digits, underscores and hyphens.'}],
    ],
    [
      'fields the server sets (status, _id, createdAt) and an unknown one',
      {...valid, status: 'approved', _id: 'comment-mine', createdAt: '2000-01-01T00:00:00Z', email: 'ada@example.com'},
      [
        {field: 'status', message: 'The server sets status; leave it out.'},
        {field: '_id', message: 'The server sets _id; leave it out.'},
        {field: 'createdAt', message: 'The server sets createdAt; leave it out.'},
        {field: 'email', message: 'The field email is not accepted.'},
      ],
    ],
    [
      'the stored reference fields instead of the input fields',
      {authorName: 'Ada', body: 'Hi', review: {_type: 'reference', _ref: HER_REVIEW}, parent: APPROVED_ON_HER},
      [
        {field: 'review', message: 'Send reviewSlug or reviewId instead of review.'},
        {field: 'parent', message: 'Send parentId instead of parent.'},
      ],
    ],
    [
      'several fields at once, each named once',
      {reviewSlug: 'Not A Slug', authorName: '', body: 'x'.repeat(6000)},
      [
        {field: 'reviewSlug', message: 'A review slug consists of lowercase letters, digits and single hyphens.'},
        {field: 'authorName', message: 'Please enter your name.'},
        {field: 'body', message: 'A comment must be at most 5000 characters.'},
      ],
    ],
  ]

  it.each(cases)('is refused with a 400 naming the field, and nothing is stored: %s', async (_name, input, fields) => {
    expect(await rejected(() => postJson(served.url, input))).toStrictEqual({status: 400, body: fieldErrors(fields)})
  })

  it('is refused the same way in form data, where a repeated field counts as invalid', async () => {
    const form = new URLSearchParams([
      ['reviewSlug', HER_SLUG],
      ['authorName', 'Ada'],
      ['authorName', 'Eve'],
      ['body', 'Hi'],
      ['status', 'approved'],
    ])
    expect(await rejected(async () => answer(await fetch(served.url, {method: 'POST', body: form})))).toStrictEqual({
      status: 400,
      body: fieldErrors([
        {field: 'authorName', message: 'An author name must be text.'},
        {field: 'status', message: 'The server sets status; leave it out.'},
      ]),
    })
  })

  it('is refused when a form field is a file', async () => {
    const form = new FormData()
    form.set('reviewSlug', HER_SLUG)
    form.set('authorName', 'Ada')
    form.set('body', new Blob(['Hi'], {type: 'text/plain'}), 'body.txt')
    expect(await rejected(async () => answer(await fetch(served.url, {method: 'POST', body: form})))).toStrictEqual({
      status: 400,
      body: fieldErrors([{field: 'body', message: 'A comment must be text.'}]),
    })
  })
})

describe('a body that cannot be read as a submission', () => {
  it.each([
    ['malformed JSON', '{"authorName": "Ada",', 'The request body is not valid JSON.'],
    ['a JSON list', '[{"authorName": "Ada"}]', 'The request body must be a JSON object.'],
    ['an empty body', '', 'The request body is not valid JSON.'],
  ])('is refused with a 400 and nothing is stored: %s', async (_name, text, message) => {
    const send = async () => answer(await fetch(served.url, {method: 'POST', headers: {'content-type': 'application/json'}, body: text}))
    expect(await rejected(send)).toStrictEqual({status: 400, body: refusal('invalidRequest', 400, message)})
  })
})

describe('the review and the parent', () => {
  it('answer 404 for a review slug that does not exist, and nothing is stored', async () => {
    expect(await rejected(() => postJson(served.url, {reviewSlug: 'no-such-review', authorName: 'Ada', body: 'Hi'}))).toStrictEqual({
      status: 404,
      body: refusal('notFound', 404, 'There is no published review to comment on at that address.'),
    })
  })

  it('answer 404 for a review id that does not exist, or names a comment instead of a review', async () => {
    for (const reviewId of ['review-nothing-here', APPROVED_ON_HER]) {
      expect(await rejected(() => postJson(served.url, {reviewId, authorName: 'Ada', body: 'Hi'}))).toStrictEqual({
        status: 404,
        body: refusal('notFound', 404, 'There is no published review to comment on at that address.'),
      })
    }
  })

  it('answer 404 for a published review at a private (dotted) id, exactly as for an unknown slug', async () => {
    expect(await env.client.fetch('count(*[_id == $id])', {id: PRIVATE_REVIEW_ID})).toBe(1)
    const unknown = await rejected(() => postJson(served.url, {reviewSlug: 'no-such-review', authorName: 'Ada', body: 'Hi'}))
    const hidden = await rejected(() => postJson(served.url, {reviewSlug: PRIVATE_REVIEW_SLUG, authorName: 'Ada', body: 'Hi'}))
    expect(hidden).toStrictEqual(unknown)
    expect(hidden.status).toBe(404)
  })

  it('answer 404 for a review that exists only as a draft', async () => {
    expect(await rejected(() => postJson(served.url, {reviewSlug: DRAFT_ONLY_SLUG, authorName: 'Ada', body: 'Hi'}))).toStrictEqual({
      status: 404,
      body: refusal('notFound', 404, 'There is no published review to comment on at that address.'),
    })
  })

  it('refuse a reply to an approved comment on another review', async () => {
    expect(
      await rejected(() => postJson(served.url, {reviewSlug: HER_SLUG, parentId: APPROVED_ON_ARRIVAL, authorName: 'Ada', body: 'Hi'})),
    ).toStrictEqual({
      status: 400,
      body: fieldErrors([{field: 'parentId', message: 'A reply must be on the same review as the comment it answers.'}]),
    })
  })

  it.each([
    ['a pending comment', PENDING_ON_HER],
    ['a comment marked as spam', SPAM_ON_HER],
    ['a comment that does not exist', 'comment-nothing-here'],
  ])('refuse a reply to %s with the same answer, so it reveals nothing', async (_name, parentId) => {
    expect(await rejected(() => postJson(served.url, {reviewSlug: HER_SLUG, parentId, authorName: 'Ada', body: 'Hi'}))).toStrictEqual({
      status: 400,
      body: fieldErrors([{field: 'parentId', message: 'You can only reply to a comment that has been approved.'}]),
    })
  })
})

describe('the request itself', () => {
  const oversize = JSON.stringify({reviewSlug: HER_SLUG, authorName: 'Ada', body: 'x'.repeat(MAX_BODY_BYTES)})
  const tooLarge = {status: 413, body: refusal('payloadTooLarge', 413, `The request body must be at most ${MAX_BODY_BYTES} bytes.`)}

  it('is refused with 413 when its Content-Length is over the limit', async () => {
    const send = async () => answer(await fetch(served.url, {method: 'POST', headers: {'content-type': 'application/json'}, body: oversize}))
    expect(await rejected(send)).toStrictEqual(tooLarge)
  })

  it('is refused with 413 when a chunked body without Content-Length grows over the limit', async () => {
    const bytes = new TextEncoder().encode(oversize)
    const send = async () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 8192) controller.enqueue(bytes.slice(offset, offset + 8192))
          controller.close()
        },
      })
      const init: RequestInit & {duplex: 'half'} = {method: 'POST', headers: {'content-type': 'application/json'}, body, duplex: 'half'}
      return answer(await fetch(served.url, init))
    }
    expect(await rejected(send)).toStrictEqual(tooLarge)
  })

  it.each([
    ['text/plain', 'text/plain'],
    ['no content type', undefined],
    ['JSON in another charset', 'application/json; charset=iso-8859-1'],
    ['XML', 'application/xml'],
  ])('is refused with 415 for %s', async (_name, contentType) => {
    const send = async () =>
      answer(
        await fetch(served.url, {
          method: 'POST',
          headers: contentType ? {'content-type': contentType} : {},
          body: new Blob([JSON.stringify({reviewSlug: HER_SLUG, authorName: 'Ada', body: 'Hi'})]),
        }),
      )
    const before = await snapshot(env.client)
    const result = await send()
    expect(await snapshot(env.client)).toStrictEqual(before)
    expect({status: result.status, body: result.body, acceptPost: result.headers.get('accept-post')}).toStrictEqual({
      status: 415,
      body: refusal('unsupportedMediaType', 415, 'Send the comment as JSON, URL-encoded form data or multipart form data, uncompressed.'),
      acceptPost: 'application/json, application/x-www-form-urlencoded, multipart/form-data',
    })
  })

  it('is refused with 415 when the body is compressed', async () => {
    const result = await postJson(served.url, {reviewSlug: HER_SLUG, authorName: 'Ada', body: 'Hi'}, {'content-encoding': 'gzip'})
    expect(result.status).toBe(415)
  })

  it.each(['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'])('is refused with 405 and Allow: POST for %s', async (method) => {
    const response = await fetch(served.url, {method})
    expect({status: response.status, allow: response.headers.get('allow'), body: await response.json()}).toStrictEqual({
      status: 405,
      allow: 'POST',
      body: refusal('methodNotAllowed', 405, 'Comments are submitted with POST.'),
    })
  })

  it('gets JSON answers that are never cached', async () => {
    const result = await postJson(served.url, {})
    expect({type: result.headers.get('content-type'), cache: result.headers.get('cache-control'), sniff: result.headers.get('x-content-type-options')}).toStrictEqual({
      type: 'application/json; charset=utf-8',
      cache: 'no-store',
      sniff: 'nosniff',
    })
  })
})

describe('a burst of submissions from one client', () => {
  it('trips the sliding-window limit with 429 and Retry-After, stores nothing more, and passes again once the window slides', async () => {
    let clock = Date.parse(NOW)
    const limited = await serve(
      createCommentHandler({client: env.client, now: () => new Date(clock), rateLimit: {windowMs: 60_000, max: 3}, onError: () => {}}),
    )
    try {
      const comment = {reviewSlug: HER_SLUG, authorName: 'Burst', body: 'Again!'}
      const statuses: number[] = []
      for (let i = 0; i < 3; i++) {
        statuses.push((await postJson(limited.url, comment)).status)
        clock += 10_000
      }
      expect(statuses).toStrictEqual([201, 201, 201])
      const before = await snapshot(env.client)
      const first = await postJson(limited.url, comment)
      expect({status: first.status, body: first.body, retryAfter: first.headers.get('retry-after')}).toStrictEqual({
        status: 429,
        body: refusal('rateLimited', 429, 'Too many comments in a short time; please try again in 30 seconds.'),
        retryAfter: '30',
      })
      clock += 29_000
      const second = await postJson(limited.url, comment)
      expect({status: second.status, retryAfter: second.headers.get('retry-after')}).toStrictEqual({status: 429, retryAfter: '1'})
      expect(await snapshot(env.client)).toStrictEqual(before)
      // The first request of the window is now more than 60 s old; one slot is free again.
      clock += 1_001
      expect((await postJson(limited.url, comment)).status).toBe(201)
      expect((await postJson(limited.url, comment)).status).toBe(429)
    } finally {
      await limited.close()
    }
  })

  it('keeps separate windows per client key', async () => {
    const limited = await serve(
      createCommentHandler({
        client: env.client,
        rateLimit: {windowMs: 60_000, max: 1},
        clientKey: (request) => request.headers.get('x-test-client') ?? 'none',
        onError: () => {},
      }),
    )
    try {
      const comment = {reviewSlug: HER_SLUG, authorName: 'Keyed', body: 'Hi'}
      const statuses = [
        (await postJson(limited.url, comment, {'x-test-client': 'a'})).status,
        (await postJson(limited.url, comment, {'x-test-client': 'a'})).status,
        (await postJson(limited.url, comment, {'x-test-client': 'b'})).status,
      ]
      expect(statuses).toStrictEqual([201, 429, 201])
    } finally {
      await limited.close()
    }
  })
})

describe('a Content Lake that cannot be reached', () => {
  it('gives a 503 without details, and the error goes to onError', async () => {
    const errors: unknown[] = []
    const offline = createClient({...env.client.config(), apiHost: 'http://127.0.0.1:9', maxRetries: 0})
    const handler = createCommentHandler({client: offline, rateLimit: false, onError: (error) => errors.push(error)})
    const response = await handler(
      new Request('http://localhost/api/comments', {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({reviewSlug: HER_SLUG, authorName: 'Ada', body: 'Hi'}),
      }),
    )
    expect({status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json(), errors: errors.length}).toStrictEqual({
      status: 503,
      retryAfter: '30',
      body: refusal('unavailable', 503, 'Comments cannot be saved right now; please try again later.'),
      errors: 1,
    })
  })
})
