/**
 * The Studio, built with `sanity build`, against the local server (HTTP/2 + TLS) in a real
 * Chromium: browse, search, edit and publish the Her review, approve a comment, create a
 * person, read History and Review changes, restore an earlier revision and a deleted document,
 * see the delete dialog list referring documents, publish a release of two reviews, open
 * Vision; each change is checked through @sanity/client, and the whole session may make no
 * request to the local server that answers 4xx or 5xx unless a test provokes it on purpose.
 */
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {SanityClient} from '@sanity/client'
import {type BrowserContext, chromium, type Page} from 'playwright-core'
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest'

import {privateCommentId} from '../../comments/ids'
import {type RunningServer, startServer} from '../../server'
import {reviewPageQuery} from '../../queries'
import {fetchTyped} from '../../queries/fetch'
import {chromiumPath, ensureStudioBuild, eventually, FailedRequests, lakeClient, ROOT, seedHer, seedSecondReview} from './support'

const SCREENSHOTS = join(ROOT, 'test-results/studio')
const STUDIO_DIR = process.env.E2E_STUDIO_DIR ?? join(ROOT, '.sanity/e2e-studio')
const UI_TIMEOUT = 30_000

/**
 * Public hosts the Studio calls on its own (no setting turns them off). The test runs
 * offline, so these requests fail; that is expected and is the only console noise allowed.
 */
const BLOCKED_PUBLIC_HOSTS: Record<string, string> = {
  'core.sanity-cdn.com': 'bridge script for Sanity Dashboard embedding',
  'sanity-cdn.com': 'check for a newer Studio version ("Failed to fetch version for package")',
  'design-system-static.sanity.io': 'the Inter web font',
  'studio-static.sanity.io': 'Inter font files (some are requested from this host)',
  'api.sanity.io': 'hard-coded Sentry feedback tunnel (/vX/intake/feedback)',
}
/** Console messages that only follow from the blocked requests above. */
const ALLOWED_MESSAGES = [/^Failed to fetch version for package .*Failed to fetch/s]

interface ConsoleProblem {
  kind: 'console' | 'pageerror'
  text: string
  url: string
}

/**
 * The Studio's presence client (@sanity/bifur-client's `call`) sends on its WebSocket without
 * checking that it is still open, so a request racing the Studio's own closing of a presence
 * socket logs this (seen in CI under load, never reproduced alone). Allowed only when the server
 * closed no presence socket meanwhile: then the closing was the Studio's.
 */
const PRESENCE_CLIENT_MESSAGES = [/^WebSocket is already in CLOSING or CLOSED state\.$/]

function hostOf(url: string): string {
  try {
    return new URL(url).hostname
  } catch {
    return ''
  }
}

describe('Sanity Studio on the local lake (Chromium)', () => {
  /** Comment status items carry a live count in their title, e.g. "Pending (1)". */
  const commentStatusItem = (status: string) => page.locator(`[data-testid^="pane-item-${status} ("]`)

  let server: RunningServer
  let client: SanityClient
  /** No token: what anyone can read from a public dataset. */
  let anonymous: SanityClient
  let context: BrowserContext
  let page: Page
  let dataDir: string
  let userDataDir: string
  let ids: {reviewId: string; filmId: string; commentId: string}
  let secondReviewId: string
  const problems: ConsoleProblem[] = []
  /** Presence sockets the server ended, and why (see PRESENCE_CLIENT_MESSAGES). */
  const presenceClosedByServer: string[] = []
  /** Console messages that follow from a failure a test provoked on purpose. */
  const provokedMessages: RegExp[] = []
  const failed = new FailedRequests()
  const blocked = new Map<string, Set<string>>()
  const serverErrors: string[] = []
  const refusedWrites: string[] = []
  let step = 0

  const shot = async (name: string) => {
    step += 1
    await page.screenshot({path: join(SCREENSHOTS, `${String(step).padStart(2, '0')}-${name}.png`)})
  }

  beforeAll(async () => {
    const executablePath = chromiumPath()
    mkdirSync(SCREENSHOTS, {recursive: true})
    await ensureStudioBuild(STUDIO_DIR)
    dataDir = mkdtempSync(join(tmpdir(), 'studio-e2e-lake-'))
    server = await startServer({
      port: 0,
      dir: dataDir,
      studioDir: STUDIO_DIR,
      log: (line) => {
        if (/fail|error/i.test(line)) serverErrors.push(line)
        if (line.startsWith('presence socket closed by the server')) presenceClosedByServer.push(line)
      },
    })
    client = lakeClient(server)
    anonymous = client.withConfig({token: undefined, perspective: 'published'})
    ids = await seedHer(client)
    secondReviewId = await seedSecondReview(client, ids.reviewId)

    userDataDir = mkdtempSync(join(tmpdir(), 'studio-e2e-chromium-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      // The certificate is self-signed and made for this run's data folder.
      ignoreHTTPSErrors: true,
      viewport: {width: 1400, height: 900},
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    context.setDefaultTimeout(UI_TIMEOUT)
    page = context.pages()[0] ?? (await context.newPage())
    page.on('pageerror', (error) => problems.push({kind: 'pageerror', text: error.stack ?? error.message, url: page.url()}))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push({kind: 'console', text: message.text(), url: message.location().url})
    })
    page.on('requestfailed', (request) => {
      const host = hostOf(request.url())
      if (host in BLOCKED_PUBLIC_HOSTS) {
        const urls = blocked.get(host) ?? new Set<string>()
        urls.add(request.url().split('?')[0] ?? request.url())
        blocked.set(host, urls)
      }
    })
    page.on('response', (response) => {
      if (response.status() >= 400) failed.record(response.status(), response.request().method(), response.url())
      if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.request().method()} ${response.url()}`)
      // A refused write (4xx from the Actions or mutate API) would otherwise only show as a stuck button.
      if (response.status() >= 400 && /\/data\/(actions|mutate)\//.test(response.url())) {
        void response.text().then((body) => refusedWrites.push(`${response.status()} ${response.url()} ${body} ${response.request().postData() ?? ''}`))
      }
    })
  }, 180_000)

  afterEach(async (testContext) => {
    if (testContext.task.result?.state === 'fail' && page) await shot(`FAILED-${testContext.task.name.replace(/\W+/g, '-').slice(0, 60)}`)
  })

  afterAll(async () => {
    await context?.close()
    await server?.close()
    for (const dir of [dataDir, userDataDir]) if (dir) rmSync(dir, {recursive: true, force: true})
  })

  test('opens signed in through the one-time login link, with the desk structure', async () => {
    // The link npm start prints: the server redeems its one-time secret and hands the Studio its session.
    await page.goto(server.loginUrl)
    await page.getByTestId('structure-tool-list-pane').waitFor()
    for (const item of ['Films', 'People', 'Reviews', 'Comments']) await expect(page.getByTestId(`pane-item-${item}`).isVisible()).resolves.toBe(true)
    expect(page.url()).toMatch(/\/structure$/)
    expect(new URL(page.url()).hash).toBe('')
    await shot('desk')
  })

  test('lists films, reviews and comments', async () => {
    await page.getByTestId('pane-item-Films').click()
    await page.getByTestId('document-list-pane').getByText('Her (2013)', {exact: true}).waitFor()
    await shot('films')
    await page.getByTestId('pane-item-Comments').click()
    await commentStatusItem('Pending').click()
    await page.getByTestId('document-list-pane').getByText('Ada Reader').waitFor()
    await shot('pending-comments')
    await page.getByTestId('pane-item-Reviews').click()
    await page.getByTestId('pane-item-All reviews').click()
    await page.getByTestId('document-list-pane').getByText('Falling in love with AI').waitFor()
    await shot('reviews')
  })

  test('searching "Her" finds the film and the review', async () => {
    await page.getByTestId('studio-search').click()
    const input = page.getByPlaceholder(/search/i).first()
    await input.fill('Her')
    const results = page.getByTestId('search-results')
    await results.getByText('Falling in love with AI').first().waitFor()
    await results.getByText('Her (2013)', {exact: true}).first().waitFor()
    await shot('search-her')
    await page.keyboard.press('Escape')
  })

  test('opens the Her review with its six sections', async () => {
    await page.getByTestId('document-list-pane').getByText('Falling in love with AI').click()
    const form = page.getByTestId('form-view')
    await form.getByText('The Big Revelation').waitFor()
    const stored = await client.fetch<{sections: {heading: string}[]}>('*[_id == $id][0]{sections[]{heading}}', {id: ids.reviewId})
    expect(stored.sections).toHaveLength(6)
    // Long documents render lazily: scroll the form to the end so the last sections mount.
    await page.getByTestId('document-panel-scroller').evaluate((scroller) => scroller.scrollTo(0, scroller.scrollHeight))
    for (const {heading} of stored.sections) await form.getByText(heading, {exact: true}).first().waitFor()
    await shot('her-review')
  })

  test('edits the fifth section heading, publishes, and the lake has it', async () => {
    const newHeading = 'The Big Revelation (edited in the Studio)'
    const form = page.getByTestId('form-view')
    await page.getByTestId('document-panel-scroller').evaluate((scroller) => scroller.scrollTo(0, scroller.scrollHeight))
    await form.getByText('The Big Revelation', {exact: true}).click()
    const dialog = page.getByTestId('nested-object-dialog')
    const heading = dialog.locator('input[id$="].heading"]')
    await expect(heading.inputValue()).resolves.toBe('The Big Revelation')
    await heading.fill(newHeading)
    await shot('edit-heading')
    // The first keystroke makes a draft through the Actions API.
    await eventually('the draft with the new heading', () => client.fetch<string | null>('*[_id == $id][0].sections[4].heading', {id: `drafts.${ids.reviewId}`}), (value) => value === newHeading)
    await page.keyboard.press('Escape')
    await dialog.waitFor({state: 'detached'})
    const publish = page.getByTestId('action-publish')
    await expect.poll(() => publish.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    await publish.click()
    // Published: the draft is gone and the Publish button is disabled again.
    await eventually('the published heading', () => client.fetch<string | null>('*[_id == $id][0].sections[4].heading', {id: ids.reviewId}), (value) => value === newHeading)
    await eventually('the draft to be gone', () => client.fetch<number>('count(*[_id == $id])', {id: `drafts.${ids.reviewId}`}), (count) => count === 0)
    await expect.poll(() => publish.isDisabled(), {timeout: UI_TIMEOUT}).toBe(true)
    await shot('published')
    const sections = await client.fetch<{heading: string}[]>('*[_id == $id][0].sections[]{heading}', {id: ids.reviewId})
    expect(sections.map((section) => section.heading)).toHaveLength(6)
    expect(sections[4]?.heading).toBe(newHeading)
  })

  /** Back to the desk root: opening documents collapses the first panes. */
  const openDesk = async () => {
    await page.goto(`${server.studioUrl}structure`)
    await page.getByTestId('structure-tool-list-pane').waitFor()
  }

  test('approves a pending comment with the Approve action', async () => {
    await openDesk()
    await page.getByTestId('pane-item-Comments').click()
    await commentStatusItem('Pending').click()
    await page.getByTestId('document-list-pane').getByText('Ada Reader').click()
    const approve = page.getByRole('button', {name: 'Approve'})
    await expect.poll(() => approve.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    const privateId = privateCommentId(ids.commentId)
    // Pending comments live at a private id: anonymous readers of the dataset cannot see them.
    expect(await anonymous.fetch('count(*[_type == "comment"])')).toBe(0)
    await shot('comment-pending')
    await approve.click()
    // One click moves it to its public id, approved, in one transaction; no copy or draft is left.
    await eventually('the approved comment', () => client.fetch<string | null>('*[_id == $id][0].status', {id: ids.commentId}), (status) => status === 'approved')
    expect(await client.fetch<string[]>('*[_id in $ids]._id', {ids: [privateId, `drafts.${privateId}`, `drafts.${ids.commentId}`]})).toEqual([])
    expect(await anonymous.fetch('*[_type == "comment"]{_id, status}')).toEqual([{_id: ids.commentId, status: 'approved'}])
    // The pane follows the comment to its new id.
    await expect.poll(() => decodeURIComponent(page.url()), {timeout: UI_TIMEOUT}).toMatch(new RegExp(`;${ids.commentId}(?:$|[;,?])`))
    await commentStatusItem('Approved').click()
    await page.getByTestId('document-list-pane').getByText('Ada Reader').waitFor()
    await shot('comment-approved')
    // Several UI waits of up to UI_TIMEOUT each: on a loaded shared machine they add up past the default.
  }, 120_000)

  test('creates a new person', async () => {
    await openDesk()
    await page.getByTestId('pane-item-People').click()
    await page.getByTestId('document-list-pane').getByText('Joaquin Phoenix').waitFor()
    // The pane header's "+" (the only pane with one open now) creates a person.
    await page.getByTestId('action-intent-button').last().click()
    const form = page.getByTestId('form-view')
    await form.locator('input#name').fill('Lynn Ramsay')
    await form.getByRole('button', {name: 'Generate'}).click()
    await expect.poll(() => form.locator('input#slug').inputValue(), {timeout: UI_TIMEOUT}).toBe('lynn-ramsay')
    // Publish once the draft (with its slug) has reached the lake and the Studio has settled.
    await eventually(
      'the draft person with its slug',
      () => client.fetch<string | null>('*[_type == "person" && name == $name && _id in path("drafts.**")][0].slug.current', {name: 'Lynn Ramsay'}),
      (value) => value === 'lynn-ramsay',
    )
    const publish = page.getByTestId('action-publish')
    await expect.poll(() => publish.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    // A brand-new document's pane can re-render its footer right as it settles, and a click on
    // the outgoing button is lost (seen about one run in four). Watch for the publish request
    // itself; if the click sent none, say so and click the current button once more.
    const publishSent = () =>
      page
        .waitForRequest((request) => /\/data\/actions\//.test(request.url()) && (request.postData() ?? '').includes('sanity.action.document.publish'), {timeout: 5_000})
        .then(
          () => true,
          () => false,
        )
    let sent = publishSent()
    await publish.click()
    if (!(await sent)) {
      console.warn('Publish: the first click sent no publish action (the pane re-rendered); clicking again.')
      sent = publishSent()
      await publish.click()
      expect(await sent).toBe(true)
    }
    const person = await eventually(
      'the published person',
      () => client.fetch<{_id: string; slug: string} | null>('*[_type == "person" && name == $name && !(_id in path("drafts.**"))][0]{_id, "slug": slug.current}', {name: 'Lynn Ramsay'}),
      (value) => value !== null,
    )
    expect(person?.slug).toBe('lynn-ramsay')
    await page.getByTestId('document-list-pane').getByText('Lynn Ramsay').waitFor()
    await shot('person-created')
  })

  /** Opens a document through the Studio's edit intent (the pane it resolves to in the desk structure). */
  const openDocument = async (id: string, type: string) => {
    await page.goto(`${server.studioUrl}intent/edit/id=${id};type=${type}/`)
    await page.getByTestId('form-view').waitFor()
  }
  const timelineItems = () => page.getByTestId('timeline-item-button')

  test('History lists the edit and the publish with their time and author', async () => {
    await openDocument(ids.reviewId, 'review')
    // The footer's status ("Last published …") opens History and Review changes.
    await page.getByTestId('pane-footer-document-status').click()
    await page.getByRole('tab', {name: 'History'}).click()
    // The draft's history (what the Drafts perspective shows): made in the Studio, then published from it.
    await expect.poll(() => timelineItems().allInnerTexts(), {timeout: UI_TIMEOUT}).toEqual([expect.stringMatching(/Published/), expect.stringMatching(/Draft created/)])
    const published = timelineItems().filter({hasText: 'Published'})
    const when = Date.parse((await published.locator('time').getAttribute('datetime')) ?? '')
    expect(Math.abs(Date.now() - when)).toBeLessThan(15 * 60_000)
    // The author's name is the avatar's tooltip.
    await published.locator('[data-ui="Avatar"]').hover()
    await page.getByText('Local editor', {exact: true}).first().waitFor()
    await shot('history-draft')
    // The published document's history: the Studio's publish, and the creation by the seed script (the lake token's user).
    await page.getByTestId('document-header-Published-chip').click()
    await expect.poll(() => timelineItems().allInnerTexts(), {timeout: UI_TIMEOUT}).toEqual([expect.stringMatching(/Published/), expect.stringMatching(/^\S*\s*Created/)])
    await timelineItems().filter({hasText: 'Created'}).locator('[data-ui="Avatar"]').hover()
    await page.getByText('Lake token (scripts)', {exact: true}).first().waitFor()
    await shot('history-published')
    // The same events through the History API the Studio read them from.
    const feed = await client.request<{events: Record<string, {type: string; author: string}[]>}>({url: `/data/history/production/events/documents/${ids.reviewId}`})
    expect(feed.events[ids.reviewId]?.map(({type, author}) => ({type, author}))).toEqual([
      {type: 'publishDocumentVersion', author: 'local-editor'},
      {type: 'createDocumentVersion', author: 'lake-token'},
    ])
  })

  test('Review changes shows the field-level diff of the publish', async () => {
    await page.getByRole('tab', {name: 'Review changes'}).click()
    const changes = page.getByTestId('review-changes-pane').filter({visible: true})
    await changes.getByText('Heading', {exact: true}).first().waitFor()
    // Only the edited heading changed: the old and the new value, nothing else of the review.
    await expect.poll(() => changes.innerText(), {timeout: UI_TIMEOUT}).toMatch(/The Big Revelation[\s\S]*\(edited in the Studio\)/)
    expect(await changes.innerText()).not.toMatch(/Introduction|Rating|Film\b/)
    await shot('review-changes')
  })

  test('restoring an earlier revision brings it back as a new draft that publishes', async () => {
    await page.getByRole('tab', {name: 'History'}).click()
    await timelineItems().filter({hasText: 'Created'}).click()
    const revert = page.getByTestId('action-reverttorevision')
    await expect.poll(() => revert.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    await shot('earlier-revision')
    await revert.click()
    await page.getByRole('button', {name: 'Confirm'}).click()
    await eventually('the restored draft', () => client.fetch<string | null>('*[_id == $id][0].sections[4].heading', {id: `drafts.${ids.reviewId}`}), (heading) => heading === 'The Big Revelation')
    // The restored revision is a draft: publish it from the draft.
    await page.getByTestId('document-header-Draft-chip').click()
    const publish = page.getByTestId('action-publish')
    await expect.poll(() => publish.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    await publish.click()
    await eventually('the restored heading, published', () => client.fetch<string | null>('*[_id == $id][0].sections[4].heading', {id: ids.reviewId}), (heading) => heading === 'The Big Revelation')
    await eventually('the draft to be gone', () => client.fetch<number>('count(*[_id == $id])', {id: `drafts.${ids.reviewId}`}), (count) => count === 0)
    await shot('restored-revision')
  }, 120_000)

  test('a deleted document can be restored from its history', async () => {
    const personId = await client.fetch<string>('*[_type == "person" && name == "Lynn Ramsay" && !(_id in path("drafts.**"))][0]._id')
    await openDocument(personId, 'person')
    await page.getByTestId('action-menu-button').click()
    await page.getByRole('menuitem', {name: /^Delete/}).click()
    await page.getByTestId('confirm-button').click()
    await eventually('the person to be deleted', () => client.fetch<number>('count(*[_id in $ids])', {ids: [personId, `drafts.${personId}`]}), (count) => count === 0)
    // Opened again, the deleted document offers its last revision back.
    await openDocument(personId, 'person')
    const restore = page.getByRole('button', {name: 'Restore most recent revision'})
    await restore.waitFor()
    await shot('deleted-person')
    await restore.click()
    await eventually('the restored draft', () => client.fetch<string | null>('*[_id == $id][0].name', {id: `drafts.${personId}`}), (name) => name === 'Lynn Ramsay')
    const publish = page.getByTestId('action-publish')
    await expect.poll(() => publish.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    await publish.click()
    await eventually('the restored person, published', () => client.fetch<{name: string; slug: string} | null>('*[_id == $id][0]{name, "slug": slug.current}', {id: personId}), (person) => person?.slug === 'lynn-ramsay')
  }, 120_000)

  test('deleting a person the Her film credits lists the referring documents in the dialog, and the lake refuses it', async () => {
    await openDocument('person-joaquin-phoenix', 'person')
    await page.getByTestId('action-menu-button').click()
    await page.getByRole('menuitem', {name: /^Delete/}).click()
    const dialog = page.getByRole('dialog')
    // The Studio's own check: a query for referring documents plus /data/references for other datasets.
    await dialog.getByText(/documents? refers? to .Joaquin Phoenix./).waitFor()
    await dialog.getByText('Her (2013)', {exact: true}).waitFor()
    await shot('delete-referenced')
    failed.expect(409, 'POST', /^\/v[^/]+\/data\/actions\/production$/, '"Delete anyway" on a referenced person: the lake refuses the delete')
    provokedMessages.push(/status of 409/, /cannot be deleted as there are references/)
    const refused = page.waitForResponse((response) => /\/data\/actions\//.test(response.url()) && response.status() === 409)
    await dialog.getByTestId('confirm-button').click()
    expect(JSON.parse(await (await refused).text())).toMatchObject({error: {items: [{error: {type: 'documentHasExistingReferencesError', referencingIDs: expect.arrayContaining([ids.filmId])}}]}})
    expect(await client.fetch('count(*[_id == "person-joaquin-phoenix"])')).toBe(1)
    await page.keyboard.press('Escape')
  })

  test('a release with versions of two reviews, made in the Studio, previews through @sanity/client and publishes both together', async () => {
    await page.goto(`${server.studioUrl}releases`)
    await page.getByRole('button', {name: 'New release'}).first().click()
    await page.getByPlaceholder('Untitled release').click()
    await page.keyboard.type('Summer picks')
    await page.getByTestId('submit-release-button').click()
    const release = await eventually(
      'the release document',
      () => client.fetch<{_id: string; name: string; state: string} | null>('*[_type == "system.release" && metadata.title == "Summer picks"][0]{_id, name, state}'),
      (value) => value?.state === 'active',
    )
    const releaseId = release?.name ?? ''
    const reviews = [
      {id: ids.reviewId, title: 'Falling in love with AI', newTitle: 'Falling in love with AI (summer cut)', slug: 'her-2013-falling-in-love-with-ai'},
      {id: secondReviewId, title: 'A second look', newTitle: 'A second look (summer cut)', slug: 'her-2013-a-second-look'},
    ]
    for (const review of reviews) {
      await page.getByRole('button', {name: 'Add document'}).first().click()
      await page.keyboard.type(review.title)
      await page.getByTestId('search-results').getByText(review.title, {exact: true}).click()
      await eventually(`the release version of ${review.id}`, () => client.fetch<number>('count(*[_id == $id])', {id: `versions.${releaseId}.${review.id}`}), (count) => count === 1)
    }
    await shot('release-documents')
    for (const review of reviews) {
      await openDocument(review.id, 'review')
      await page.getByTestId('document-header-Summer-picks-chip').click()
      const title = page.getByTestId('form-view').locator('input#title')
      await expect.poll(() => title.inputValue(), {timeout: UI_TIMEOUT}).toBe(review.title)
      await title.fill(review.newTitle)
      await eventually(`the edited version of ${review.id}`, () => client.fetch<string | null>('*[_id == $id][0].title', {id: `versions.${releaseId}.${review.id}`}), (value) => value === review.newTitle)
    }
    // The site's typed query, previewed in the release's perspective as @sanity/client sends it.
    for (const review of reviews) {
      expect((await fetchTyped(client.withConfig({perspective: [releaseId, 'drafts']}), reviewPageQuery, {slug: review.slug}))?.title).toBe(review.newTitle)
      expect((await fetchTyped(anonymous, reviewPageQuery, {slug: review.slug}))?.title).toBe(review.title)
    }
    await page.goto(`${server.studioUrl}releases`)
    await page.getByText('Summer picks', {exact: true}).first().click()
    const runRelease = page.getByTestId('publish-all-button')
    await expect.poll(() => runRelease.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    await runRelease.click()
    await page.getByRole('dialog').getByTestId('confirm-button').click()
    await eventually('the published release', () => client.fetch<string | null>('*[_id == $id][0].state', {id: release?._id}), (state) => state === 'published')
    const published = await client.fetch<{_id: string; _rev: string; title: string}[]>('*[_id in $ids]{_id, _rev, title}', {ids: reviews.map((review) => review.id)})
    expect(published.map((doc) => doc.title).sort()).toEqual(reviews.map((review) => review.newTitle).sort())
    // Published together: one transaction gave both reviews their revision, and no version is left.
    expect(new Set(published.map((doc) => doc._rev)).size).toBe(1)
    expect(await client.fetch('count(*[_id in path($versions)])', {versions: `versions.${releaseId}.**`})).toBe(0)
    for (const review of reviews) expect((await fetchTyped(anonymous, reviewPageQuery, {slug: review.slug}))?.title).toBe(review.newTitle)
    await shot('release-published')
  }, 180_000)

  test('Vision lists the datasets and reads its saved queries from the server', async () => {
    const datasets = page.waitForResponse((response) => /^\/v[^/]+\/datasets$/.test(new URL(response.url()).pathname) && response.status() === 200)
    const savedQueries = page.waitForResponse((response) => response.url().includes('/users/me/keyvalue/studio.vision-tool.saved-queries') && response.status() === 200)
    await page.goto(`${server.studioUrl}vision`)
    expect(await (await datasets).json()).toEqual([{name: 'production', aclMode: 'public', tags: []}])
    await savedQueries
    await shot('vision')
    await openDesk()
  })

  test('after the link is used: a reload, a second tab and a tab without the stored session are signed in', async () => {
    await page.reload()
    await page.getByTestId('structure-tool-list-pane').waitFor()
    const second = await context.newPage()
    try {
      await second.goto(server.studioUrl)
      await second.getByTestId('structure-tool-list-pane').waitFor()
      // Without the Studio's stored token it goes through its own login redirect, and the login
      // cookie the link left gets the session back (the used link itself no longer would).
      const logins: number[] = []
      second.on('response', (response) => {
        if (new URL(response.url()).pathname === '/auth/login') logins.push(response.status())
      })
      await second.evaluate(() => localStorage.clear())
      await second.goto(`${server.studioUrl}structure`)
      await second.getByTestId('structure-tool-list-pane').waitFor()
      expect(new URL(second.url()).hash).toBe('')
      expect(logins).toEqual([302])
      await second.screenshot({path: join(SCREENSHOTS, 'second-tab.png')})
    } finally {
      await second.close()
    }
  })

  test('the whole session made no request to the local server that answered 4xx or 5xx, except those provoked on purpose', () => {
    console.info(`Provoked on purpose:\n${failed.provoked.map((line) => `  ${line}`).join('\n') || '  none'}`)
    expect(failed.unexpected).toEqual([])
    expect(failed.provoked).toHaveLength(1)
  })

  test('the browser console shows no errors other than blocked public CDN requests', () => {
    const presenceClient = problems.filter((problem) => problem.kind === 'console' && PRESENCE_CLIENT_MESSAGES.some((pattern) => pattern.test(problem.text)))
    if (presenceClient.length > 0) {
      console.info(`The Studio's presence client sent on a socket it was closing (${presenceClient.length}×); the server closed none:\n${presenceClosedByServer.join('\n') || '  none'}`)
    }
    expect(presenceClosedByServer).toEqual([])
    const unexpected = problems.filter((problem) => {
      if (presenceClient.includes(problem)) return false
      if (problem.kind === 'console' && hostOf(problem.url) in BLOCKED_PUBLIC_HOSTS) return false
      return ![...ALLOWED_MESSAGES, ...provokedMessages].some((pattern) => pattern.test(problem.text))
    })
    const lines = [...blocked].map(([host, urls]) => `  ${host} (${BLOCKED_PUBLIC_HOSTS[host]}): ${[...urls].join(', ')}`)
    console.info(`Blocked requests to public hosts (expected offline):\n${lines.join('\n') || '  none'}`)
    expect(unexpected).toEqual([])
    expect(serverErrors).toEqual([])
    // The one refused write is the delete of a referenced person, provoked on purpose.
    expect(refusedWrites.filter((line) => !line.includes('documentHasExistingReferencesError'))).toEqual([])
  })
})
