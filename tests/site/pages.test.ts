import {createClient} from '@sanity/client'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {moderateComment} from '../../comments/moderation'
import {apiVersion} from '../../lib/constants'
import {createSiteHandler, prefersHtml, withFormRedirects} from '../../site/index'
import {COMMENTS, EXTRA_REVIEWS, HER_REVIEW_ID, HER_SLUG, SECTION_HEADINGS, SPOILER_TEXT, decode, h2s, jsonLdOf, startSite, type SiteFixture} from './support'

let site: SiteFixture

beforeAll(async () => {
  site = await startSite({pageSize: 2})
})

afterAll(async () => {
  await site?.close()
})

/** The discussion's comment tree, read from the nested lists (ids only). */
type Node = {id: string; replies: Node[]}
function threadOf(html: string): Node[] {
  const start = html.indexOf('<ol class="comments">')
  if (start < 0) return []
  const root: Node[] = []
  const stack: Node[][] = []
  let current = root
  let last: Node | undefined
  const tokens = /<ol class="(comments|replies)">|<\/ol>|<article class="comment" id="comment-([^"]+)">/g
  tokens.lastIndex = start
  for (let match = tokens.exec(html); match; match = tokens.exec(html)) {
    if (match[1]) {
      stack.push(current)
      current = match[1] === 'comments' ? root : (last?.replies ?? [])
    } else if (match[2]) {
      last = {id: match[2], replies: []}
      current.push(last)
    } else {
      current = stack.pop() ?? root
      if (stack.length === 0) break
    }
  }
  return root
}

const get = (path: string, init?: RequestInit) => fetch(`${site.baseUrl}${path}`, {redirect: 'manual', ...init})
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
const postForm = (fields: Record<string, string>, accept = BROWSER_ACCEPT) =>
  get('/api/comments', {method: 'POST', headers: {accept, 'content-type': 'application/x-www-form-urlencoded'}, body: new URLSearchParams(fields).toString()})

describe('review page', () => {
  it('shows the film header, the review and six section headings in order', async () => {
    const response = await get(`/reviews/${HER_SLUG}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('content-security-policy')).toContain("script-src 'sha256-")
    const html = await response.text()
    expect(h2s(html)).toEqual([...SECTION_HEADINGS, 'Discuss Her below:'])
    expect(html).toContain('<h1>Falling in love with AI</h1>')
    expect(html).toContain('<dd class="directors">Spike Jonze</dd>')
    expect(html).toContain('<dd class="genres">Drama, Romance, Science Fiction</dd>')
    expect(decode(html)).toContain('A lonely writer develops an unlikely relationship with his newly purchased operating system')
    expect(html).toContain('By <span class="author">Anonymous</span>')
    expect(html).toContain('Published <time datetime="2014-08-08">8 August 2014</time>')
    expect(html).toContain('updated <time datetime="2023-09-11">11 September 2023</time>')
    expect(html).toContain('class="warning spoiler-warning"')
    expect(html).toContain('<a class="mention" href="/people/joaquin-phoenix">Joaquin Phoenix</a>')
    expect(html).toContain(`<span class="spoiler" tabindex="0" title="Spoiler: click to reveal">${SPOILER_TEXT}</span>`)
  })

  it('shows approved comments as threads of any depth, escaped, and nothing pending or rejected', async () => {
    const html = await (await get(`/reviews/${HER_SLUG}`)).text()
    expect(html).toContain('<p class="comment-body">Loved the owl scene.<br>Second line &lt;b&gt;not bold&lt;/b&gt; &amp; more.</p>')
    expect(html).not.toContain('<b>not bold</b>')
    for (const hidden of [COMMENTS.pending, COMMENTS.rejected, COMMENTS.pendingReply]) {
      expect(html).not.toContain(hidden.body)
      expect(html).not.toContain(hidden.author)
    }
    // The thread as a tree: approved > reply > deep reply, and the orphan at the top level.
    expect(threadOf(html)).toStrictEqual([
      {id: COMMENTS.approved.id, replies: [{id: COMMENTS.reply.id, replies: [{id: COMMENTS.deepReply.id, replies: []}]}]},
      {id: COMMENTS.orphan.id, replies: []},
    ])
    expect(html).toContain('<p class="comment-context">In reply to a comment that has been removed</p>')
    expect(html).toContain('<p class="meta comment-count">4 comments</p>')
    expect(jsonLdOf(html)[0]?.commentCount).toBe(4)
    // A form for the review and a reply form under every shown comment, all posting to the API.
    expect(html).toContain('action="/api/comments#comment-form"')
    for (const shown of [COMMENTS.approved, COMMENTS.reply, COMMENTS.deepReply, COMMENTS.orphan]) {
      expect(html).toContain(`<input type="hidden" name="parentId" value="${shown.id}">`)
    }
  })

  it('embeds a Review in JSON-LD that matches the page', async () => {
    const [review, ...others] = jsonLdOf(await (await get(`/reviews/${HER_SLUG}`)).text())
    expect(others).toEqual([])
    expect(review).toMatchObject({
      '@context': 'https://schema.org',
      '@type': 'Review',
      name: 'Falling in love with AI',
      url: `${site.baseUrl}/reviews/${HER_SLUG}`,
      datePublished: '2014-08-08',
      dateModified: '2023-09-11',
      author: {'@type': 'Person', name: 'Anonymous'},
      itemReviewed: {'@type': 'Movie', name: 'Her', dateCreated: '2013', director: {'@type': 'Person', name: 'Spike Jonze'}},
    })
  })

  it('says a comment awaits moderation after the form redirect', async () => {
    const html = await (await get(`/reviews/${HER_SLUG}?comment=pending`)).text()
    expect(html).toContain('Your comment awaits moderation')
  })

  it('shows what is published on the next request, and never drafts', async () => {
    await site.client.patch(HER_REVIEW_ID).set({title: 'Falling in love with an OS'}).commit()
    await site.client.createOrReplace({_id: `drafts.${HER_REVIEW_ID}`, _type: 'review', title: 'DRAFT-TITLE', slug: {_type: 'slug', current: HER_SLUG}})
    try {
      const html = await (await get(`/reviews/${HER_SLUG}`)).text()
      expect(html).toContain('<h1>Falling in love with an OS</h1>')
      expect(html).not.toContain('DRAFT-TITLE')
      // Even a client set up to read drafts is switched to the published perspective (and off the CDN).
      const draftsClient = createSiteHandler({client: site.client.withConfig({perspective: 'drafts', useCdn: true})})
      const draftsHtml = (await (await draftsClient(new Request(`http://localhost/reviews/${HER_SLUG}`)))?.text()) ?? ''
      expect(draftsHtml).toContain('<h1>Falling in love with an OS</h1>')
      expect(draftsHtml).not.toContain('DRAFT-TITLE')
    } finally {
      await site.client.delete(`drafts.${HER_REVIEW_ID}`)
      await site.client.patch(HER_REVIEW_ID).set({title: 'Falling in love with AI'}).commit()
    }
    expect(await (await get(`/reviews/${HER_SLUG}`)).text()).toContain('<h1>Falling in love with AI</h1>')
  })

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get(`/reviews/${HER_SLUG}`, {method: 'HEAD'})
    expect(head.status).toBe(200)
    expect(await head.text()).toBe('')
    const post = await get(`/reviews/${HER_SLUG}`, {method: 'POST', body: 'x'})
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })
})

describe('film and person pages', () => {
  it('film page: header, cast and crew, and a Movie with director and actors', async () => {
    const response = await get('/films/her-2013')
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain('<h1>Her <span class="year">(2013)</span></h1>')
    expect(html).toContain('<dd class="directors"><a href="/people/spike-jonze">Spike Jonze</a></dd>')
    expect(html).toContain('<a href="/people/scarlett-johansson">Scarlett Johansson</a> <span class="role">as Samantha (voice)</span>')
    expect(html).toContain(`<a href="/reviews/${HER_SLUG}">Falling in love with AI</a>`)
    const [movie] = jsonLdOf(html)
    expect(movie).toMatchObject({'@type': 'Movie', name: 'Her', dateCreated: '2013', genre: ['Drama', 'Romance', 'Science Fiction']})
    expect((movie?.director as {name: string}).name).toBe('Spike Jonze')
    const actors = (movie?.actor as Array<{'@type': string; name: string; url: string}>)
    expect(actors.map((actor) => actor.name)).toContain('Joaquin Phoenix')
    expect(actors).toContainEqual({'@type': 'Person', name: 'Joaquin Phoenix', url: `${site.baseUrl}/people/joaquin-phoenix`})
  })

  it('person page: credits link to films, and a Person', async () => {
    const response = await get('/people/joaquin-phoenix')
    expect(response.status).toBe(200)
    const html = await response.text()
    expect(html).toContain('<h1>Joaquin Phoenix</h1>')
    expect(html).toContain('<a href="/films/her-2013">Her</a> <span class="year">(2013)</span> <span class="role">— as Theodore Twombly</span>')
    expect(jsonLdOf(html)).toEqual([
      {'@context': 'https://schema.org', '@type': 'Person', name: 'Joaquin Phoenix', url: `${site.baseUrl}/people/joaquin-phoenix`},
    ])
    const director = await (await get('/people/spike-jonze')).text()
    expect(director).toContain('— Director, Writer, Producer')
  })

  it('escapes < in JSON-LD so text cannot close the script element', async () => {
    const name = '</script><script>alert(1)</script> & Co'
    await site.client.createOrReplace({_id: 'person-evil', _type: 'person', name, slug: {_type: 'slug', current: 'evil-person'}})
    const html = await (await get('/people/evil-person')).text()
    expect(html).not.toContain('<script>alert(1)')
    expect(html).toContain('\\u003c/script\\u003e')
    expect(jsonLdOf(html)[0]?.name).toBe(name)
  })
})

describe('not found and failures', () => {
  it.each([
    '/reviews/no-such-review',
    '/films/no-such-film',
    '/people/no-such-person',
    '/reviews/Not_A_Slug',
    '/reviews/%E0%A4%A',
    '/?after=not-a-cursor',
    '/elsewhere',
  ])('%s answers a 404 page', async (path) => {
    const response = await get(path)
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await response.text()).toContain('<h1>Page not found</h1>')
  })

  it('leaves other routes to the server', async () => {
    const handler = createSiteHandler({client: site.client})
    expect(await handler(new Request('http://localhost/api/comments', {method: 'POST'}))).toBeUndefined()
    expect(await handler(new Request('http://localhost/reviews'))).toBeUndefined()
    expect(await handler(new Request('http://localhost/reviews/a/b'))).toBeUndefined()
  })

  it('answers a generic 500 page when a query fails, and logs the details', async () => {
    const failing = createClient({projectId: 'local', dataset: 'production', apiVersion, useCdn: false, apiHost: site.lake.lake.url, useProjectHostname: false})
    failing.fetch = (() => Promise.reject(new Error('SECRET-INTERNAL: connection to 10.0.0.7 refused'))) as typeof failing.fetch
    const lines: string[] = []
    const handler = createSiteHandler({client: failing, log: (line) => lines.push(line)})
    for (const path of ['/', `/reviews/${HER_SLUG}`, '/films/her-2013', '/people/joaquin-phoenix']) {
      const response = await handler(new Request(`http://localhost${path}`))
      expect(response?.status).toBe(500)
      const html = (await response?.text()) ?? ''
      expect(html).toContain('<h1>Something went wrong</h1>')
      expect(html).not.toMatch(/SECRET|10\.0\.0\.7|Error|at .*\.ts/)
    }
    expect(lines).toHaveLength(4)
    expect(lines[1]).toContain(`GET /reviews/${HER_SLUG} failed: Error: SECRET-INTERNAL`)
  })
})

describe('review list', () => {
  it('pages newest first with a keyset cursor, without repeats or an empty last page', async () => {
    const seen: string[] = []
    let path: string | undefined = '/'
    let pages = 0
    while (path) {
      const response = await get(path)
      expect(response.status).toBe(200)
      const html = await response.text()
      seen.push(...[...html.matchAll(/<h2><a href="\/reviews\/([^"]+)">/g)].map((match) => match[1] ?? ''))
      expect(jsonLdOf(html)[0]?.['@type']).toBe('ItemList')
      const next = /<a href="([^"]+)" rel="next">/.exec(html)?.[1]
      path = next ? decode(next) : undefined
      if (pages > 0) expect(html).toContain('rel="first"')
      pages += 1
      expect(pages).toBeLessThan(10)
    }
    const bySlug = (slug: string) => EXTRA_REVIEWS.find((review) => review.slug === slug)?.slug ?? slug
    expect(seen.map(bySlug)).toEqual(['extra-review-d', 'extra-review-b', 'extra-review-a', HER_SLUG, 'extra-review-c'])
    expect(pages).toBe(3)
  })

  it('uses publishedOn~_id cursors', async () => {
    const html = await (await get('/')).text()
    expect(html).toContain('<a href="/?after=2015-03-01~review-extra-b" rel="next">')
  })
})

describe('comment form posts (withFormRedirects on the real comment handler)', () => {
  it('redirects a browser form post to the review with a pending notice, and stores the comment as pending', async () => {
    const response = await postForm({reviewSlug: HER_SLUG, authorName: 'Form Poster', body: 'FORM-POSTED-BODY', website: ''})
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe(`/reviews/${HER_SLUG}?comment=pending#discussion`)
    const stored = await site.client.fetch<{status: string} | null>('*[_type == "comment" && body == "FORM-POSTED-BODY"][0]{status}')
    expect(stored?.status).toBe('pending')
    expect(await (await get(`/reviews/${HER_SLUG}`)).text()).not.toContain('FORM-POSTED-BODY')
  })

  it('re-renders the review with inline errors and the submitted values', async () => {
    const response = await postForm({reviewSlug: HER_SLUG, authorName: '  ', body: 'Keep <this> text\nplease', website: ''})
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toContain('<h1>Falling in love with AI</h1>')
    expect(html).toMatch(/<input type="text" id="comment-authorName" name="authorName" required aria-invalid="true" aria-describedby="comment-authorName-error" autofocus/)
    expect(html).toContain('<p class="field-error" id="comment-authorName-error">Please enter your name.</p>')
    expect(html).toContain('>Keep &lt;this&gt; text\nplease</textarea>')
    expect(html).toContain('role="alert"')
  })

  it('shows reply errors in the open reply form', async () => {
    const response = await postForm({reviewSlug: HER_SLUG, parentId: COMMENTS.approved.id, authorName: 'Replier', body: '', website: ''})
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toContain('<details class="reply" open>')
    expect(html).toContain(`<p class="field-error" id="reply-${COMMENTS.approved.id}-body-error">A comment cannot be empty.</p>`)
    expect(html).toContain(`id="reply-${COMMENTS.approved.id}-authorName" name="authorName" required value="Replier"`.replace(' value', ' maxlength="80" autocomplete="nickname" value'))
  })

  /** The HTML of one form on the page, by its id. */
  const formHtml = (html: string, id: string) => {
    const start = html.indexOf(`<form class="comment-form" id="${id}"`)
    return start < 0 ? '' : html.slice(start, html.indexOf('</form>', start))
  }

  it('shows an error on a reply to a reply in that reply\'s own form, open, with the typed text', async () => {
    const parent = COMMENTS.reply.id
    const response = await postForm({reviewSlug: HER_SLUG, parentId: parent, authorName: 'Nested Replier', body: '   ', website: ''})
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html.match(/<details class="reply" open>/g)).toHaveLength(1)
    const form = formHtml(html, `reply-form-${parent}`)
    expect(form).toContain(`<p class="field-error" id="reply-${parent}-body-error">A comment cannot be empty.</p>`)
    expect(form).toContain('value="Nested Replier"')
    // The open form is the one under the reply it answers, and the main form is left alone.
    expect(html.indexOf('<details class="reply" open>')).toBeGreaterThan(html.indexOf(`id="comment-${parent}"`))
    expect(html.indexOf('<details class="reply" open>')).toBeLessThan(html.indexOf(`id="comment-${COMMENTS.deepReply.id}"`))
    expect(formHtml(html, 'comment-form')).not.toContain('form-errors')
  })

  it('keeps a reply whose comment is no longer shown in the main form, with the reason and the text', async () => {
    const response = await postForm({reviewSlug: HER_SLUG, parentId: COMMENTS.pending.id, authorName: 'Late Replier', body: 'LATE-REPLY-TEXT', website: ''})
    expect(response.status).toBe(400)
    const html = await response.text()
    const main = formHtml(html, 'comment-form')
    expect(main).toContain('You can only reply to a comment that has been approved.')
    expect(main).toContain('>LATE-REPLY-TEXT</textarea>')
    expect(main).toContain('value="Late Replier"')
    expect(html).not.toContain('<details class="reply" open>')
  })

  it('accepts a reply to a reply and shows it in the thread once approved', async () => {
    const json = await get('/api/comments', {
      method: 'POST',
      headers: {'content-type': 'application/json', accept: 'application/json'},
      body: JSON.stringify({reviewSlug: HER_SLUG, parentId: COMMENTS.deepReply.id, authorName: 'Third Level', body: 'THIRD-LEVEL-REPLY'}),
    })
    expect(json.status).toBe(201)
    const {id} = (await json.json()) as {id: string}
    expect(await (await get(`/reviews/${HER_SLUG}`)).text()).not.toContain('THIRD-LEVEL-REPLY')
    await moderateComment(site.client, id, 'approved')
    try {
      const html = await (await get(`/reviews/${HER_SLUG}`)).text()
      expect(threadOf(html)[0]).toStrictEqual({
        id: COMMENTS.approved.id,
        replies: [{id: COMMENTS.reply.id, replies: [{id: COMMENTS.deepReply.id, replies: [{id, replies: []}]}]}],
      })
    } finally {
      await moderateComment(site.client, id, 'rejected')
    }
  })

  it('turns other errors into small HTML pages with the status', async () => {
    const notFound = await postForm({reviewSlug: 'no-such-review', authorName: 'A', body: 'B'})
    expect(notFound.status).toBe(404)
    expect(await notFound.text()).toContain('<h1>Review not found</h1>')
    const tooLarge = await postForm({reviewSlug: HER_SLUG, authorName: 'A', body: 'x'.repeat(70_000)})
    expect(tooLarge.status).toBe(413)
    expect(tooLarge.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const badSlug = await postForm({reviewSlug: 'Bad Slug', authorName: 'A', body: 'B'})
    expect(badSlug.status).toBe(400)
    expect(await badSlug.text()).toContain('A review slug consists of lowercase letters')
  })

  it('passes JSON and non-browser requests through untouched', async () => {
    const json = await get('/api/comments', {
      method: 'POST',
      headers: {'content-type': 'application/json', accept: 'application/json'},
      body: JSON.stringify({reviewSlug: HER_SLUG, authorName: 'Json', body: 'JSON-BODY'}),
    })
    expect(json.status).toBe(201)
    expect(await json.json()).toMatchObject({status: 'pending'})
    const scripted = await postForm({reviewSlug: HER_SLUG, authorName: '', body: 'x'}, '*/*')
    expect(scripted.status).toBe(400)
    expect(scripted.headers.get('content-type')).toContain('application/json')
    expect(await scripted.json()).toEqual({
      error: {type: 'validationError', description: 'Please enter your name.', fields: [{field: 'authorName', message: 'Please enter your name.'}]},
      statusCode: 400,
    })
  })
})

describe('withFormRedirects with a stub handler', () => {
  const site404 = {renderReview: async () => undefined}
  const formRequest = () =>
    new Request('http://localhost/api/comments', {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded', accept: BROWSER_ACCEPT},
      body: 'reviewSlug=some-review&authorName=A&body=B',
    })

  it('answers a refused reply (429) with the review page: Retry-After kept, the message and the text in the reply form', async () => {
    const stub = async () =>
      new Response(JSON.stringify({error: {type: 'rateLimited', description: 'Too many comments; try again in 30 seconds.'}, statusCode: 429}), {
        status: 429,
        headers: {'content-type': 'application/json', 'retry-after': '30'},
      })
    const request = new Request('http://localhost/api/comments', {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded', accept: BROWSER_ACCEPT},
      body: new URLSearchParams({reviewSlug: HER_SLUG, parentId: COMMENTS.reply.id, authorName: 'Quick', body: 'TYPED-BEFORE-429'}).toString(),
    })
    const response = await withFormRedirects(stub, createSiteHandler({client: site.client}))(request)
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('30')
    const html = await response.text()
    const start = html.indexOf(`<form class="comment-form" id="reply-form-${COMMENTS.reply.id}"`)
    const form = html.slice(start, html.indexOf('</form>', start))
    expect(start).toBeGreaterThan(0)
    expect(form).toContain('Too many comments; try again in 30 seconds.')
    expect(form).toContain('>TYPED-BEFORE-429</textarea>')
  })

  it('keeps a 503 a 503 when the review page cannot be rendered either (the lake is down)', async () => {
    const stub = async () =>
      new Response(JSON.stringify({error: {type: 'unavailable', description: 'Comments cannot be saved right now; please try again later.'}, statusCode: 503}), {
        status: 503,
        headers: {'content-type': 'application/json', 'retry-after': '30'},
      })
    const down = createClient({projectId: 'local', dataset: 'production', apiVersion, useCdn: false, apiHost: 'http://127.0.0.1:9', useProjectHostname: false, maxRetries: 0})
    const response = await withFormRedirects(stub, createSiteHandler({client: down, log: () => {}}))(formRequest())
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('30')
    expect(await response.text()).toContain('Comments cannot be saved right now; please try again later.')
  })

  it('keeps Retry-After on a 429 page and links back to the review', async () => {
    const stub = async () =>
      new Response(JSON.stringify({error: {type: 'rateLimited', description: 'Too many comments; try again in 30 seconds.'}, statusCode: 429}), {
        status: 429,
        headers: {'content-type': 'application/json', 'retry-after': '30'},
      })
    const response = await withFormRedirects(stub, site404)(formRequest())
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('30')
    const html = await response.text()
    expect(html).toContain('Too many comments; try again in 30 seconds.')
    expect(html).toContain('href="/reviews/some-review#discussion"')
  })

  it('reads the Accept header the way browsers and scripts send it', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true)
    expect(prefersHtml('*/*')).toBe(false)
    expect(prefersHtml(null)).toBe(false)
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false)
    expect(prefersHtml('text/html;q=0')).toBe(false)
    expect(prefersHtml('text/*')).toBe(true)
  })
})
