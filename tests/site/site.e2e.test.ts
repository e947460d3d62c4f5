/**
 * The review site in Chromium (found by tests/helpers/chromium.ts, driven by playwright-core;
 * browsers are never downloaded): headings, mentions, JSON-LD, spoilers, and the comment form without JavaScript.
 */
import {existsSync, mkdirSync} from 'node:fs'
import {resolve} from 'node:path'

import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {moderateComment} from '../../comments/moderation'
import {chromiumPath} from '../helpers/chromium'
import {COMMENTS, HER_SLUG, SECTION_HEADINGS, SPOILER_TEXT, startSite, type SiteFixture} from './support'

const SCREENSHOTS = resolve('test-results/site')

describe('review site in Chromium', () => {
  let site: SiteFixture
  let browser: Browser
  let withJs: BrowserContext
  let withoutJs: BrowserContext
  const reviewPath = `/reviews/${HER_SLUG}`

  beforeAll(async () => {
    // Without Chromium every test here fails with the install instruction (never skips).
    const executablePath = chromiumPath()
    site = await startSite()
    // `launch` gives every run a fresh temporary profile, removed on close.
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
    withJs = await browser.newContext({baseURL: site.baseUrl, viewport: {width: 1280, height: 900}})
    withoutJs = await browser.newContext({baseURL: site.baseUrl, javaScriptEnabled: false, viewport: {width: 1280, height: 900}})
  })

  afterAll(async () => {
    await browser?.close()
    await site?.close()
  })

  async function open(context: BrowserContext, path = reviewPath): Promise<Page> {
    const page = await context.newPage()
    const response = await page.goto(path)
    expect(response?.status()).toBe(200)
    return page
  }

  const colorOf = (page: Page, selector: string) => page.locator(selector).first().evaluate((element) => getComputedStyle(element).color)

  it('shows the six section headings in order', async () => {
    const page = await open(withJs)
    expect(await page.locator('.review-section h2').allTextContents()).toEqual(SECTION_HEADINGS)
    expect(await page.locator('h1').textContent()).toBe('Falling in love with AI')
    expect(await page.locator('#discussion h2').textContent()).toBe('Discuss Her below:')
    await page.close()
  })

  it('links a mention to the person page', async () => {
    const page = await open(withJs)
    await page.locator('a.mention', {hasText: 'Joaquin Phoenix'}).first().click()
    await page.waitForURL('**/people/joaquin-phoenix')
    expect(await page.locator('h1').textContent()).toBe('Joaquin Phoenix')
    await page.close()
  })

  it('embeds JSON-LD that parses', async () => {
    const page = await open(withJs)
    const blocks = await page.locator('script[type="application/ld+json"]').allTextContents()
    expect(blocks).toHaveLength(1)
    const review = JSON.parse(blocks[0] ?? '') as {'@type': string; datePublished: string; itemReviewed: {director: {name: string}}}
    expect(review['@type']).toBe('Review')
    expect(review.datePublished).toBe('2014-08-08')
    expect(review.itemReviewed.director.name).toBe('Spike Jonze')
    await page.close()
  })

  it('hides spoiler text until it is clicked, and toggles from the keyboard', async () => {
    const page = await open(withJs)
    const spoiler = page.locator('.spoiler', {hasText: SPOILER_TEXT})
    expect(await spoiler.getAttribute('aria-expanded')).toBe('false')
    mkdirSync(SCREENSHOTS, {recursive: true})
    const paragraph = page.locator('p', {has: spoiler})
    await paragraph.screenshot({path: `${SCREENSHOTS}/spoiler-hidden.png`})
    await expect.poll(() => colorOf(page, '.spoiler')).toBe('rgba(0, 0, 0, 0)')
    await spoiler.click()
    expect(await spoiler.getAttribute('aria-expanded')).toBe('true')
    await page.waitForTimeout(300)
    await paragraph.screenshot({path: `${SCREENSHOTS}/spoiler-revealed.png`})
    await expect.poll(() => colorOf(page, '.spoiler')).not.toBe('rgba(0, 0, 0, 0)')
    await spoiler.click()
    await expect.poll(() => colorOf(page, '.spoiler')).toBe('rgba(0, 0, 0, 0)')
    await spoiler.focus()
    await page.keyboard.press('Enter')
    expect(await spoiler.getAttribute('aria-expanded')).toBe('true')
    await expect.poll(() => colorOf(page, '.spoiler')).not.toBe('rgba(0, 0, 0, 0)')
    await page.close()
  })

  it('without JavaScript, a click reveals a spoiler too', async () => {
    const page = await open(withoutJs)
    await expect.poll(() => colorOf(page, '.spoiler')).toBe('rgba(0, 0, 0, 0)')
    await page.locator('.spoiler').first().click()
    await expect.poll(() => colorOf(page, '.spoiler')).not.toBe('rgba(0, 0, 0, 0)')
    await page.close()
  })

  it('without JavaScript, a form post lands back on the review; the comment shows once approved', async () => {
    const page = await open(withoutJs)
    const body = `Posted from the browser at ${Date.now()}.\nA second line with <em>markup</em>.`
    await page.fill('#comment-authorName', 'Browser Reader')
    await page.fill('#comment-body', body)
    await Promise.all([page.waitForURL(`**${reviewPath}?comment=pending#discussion`), page.locator('#comment-form button[type="submit"]').click()])
    expect(await page.locator('.notice').textContent()).toContain('awaits moderation')
    expect(await page.locator('.comments').textContent()).not.toContain('Posted from the browser')

    const storedId = await site.client.fetch<string | null>('*[_type == "comment" && authorName == "Browser Reader"][0]._id')
    expect(storedId).toMatch(/^moderation\.comment-/)
    // What the Studio's Approve action does: move the comment to its public id.
    const {id} = await moderateComment(site.client, storedId ?? '', 'approved')
    await page.reload()
    const comment = page.locator(`#comment-${id}`)
    expect(await comment.locator('.comment-author').textContent()).toBe('Browser Reader')
    // Plain text: the markup shows as typed, and the line break is kept.
    expect(await comment.locator('.comment-body').innerText()).toBe(body)
    expect(await comment.locator('.comment-body em').count()).toBe(0)
    await page.close()
  })

  it('shows a field error inline when the name is empty, keeping what was typed', async () => {
    const page = await open(withoutJs)
    await page.fill('#comment-body', 'A comment without a name.')
    const [response] = await Promise.all([page.waitForResponse('**/api/comments'), page.locator('#comment-form button[type="submit"]').click()])
    expect(response.status()).toBe(400)
    await page.waitForLoadState()
    const error = page.locator('#comment-authorName-error')
    expect(await error.isVisible()).toBe(true)
    expect(await error.textContent()).toBe('Please enter your name.')
    expect(await page.locator('#comment-authorName').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#comment-body').inputValue()).toBe('A comment without a name.')
    // The error sits right after its field, inside the same field group.
    expect(await page.locator('.field:has(#comment-authorName) .field-error').count()).toBe(1)
    mkdirSync(SCREENSHOTS, {recursive: true})
    await page.locator('#comment-form').screenshot({path: `${SCREENSHOTS}/form-error.png`})
    await page.close()
  })

  it('without JavaScript, a failed reply to a reply shows its error next to that reply, keeping the text', async () => {
    const page = await open(withoutJs)
    const parent = COMMENTS.reply.id
    const details = page.locator(`li:has(> #comment-${parent}) > details.reply`)
    await details.locator('summary').click()
    await page.fill(`#reply-${parent}-body`, 'A reply I typed without a name.')
    const [response] = await Promise.all([page.waitForResponse('**/api/comments'), details.locator('button[type="submit"]').click()])
    expect(response.status()).toBe(400)
    await page.waitForLoadState()
    const error = page.locator(`#reply-${parent}-authorName-error`)
    expect(await error.isVisible()).toBe(true)
    expect(await error.textContent()).toBe('Please enter your name.')
    expect(await page.locator(`#reply-${parent}-body`).inputValue()).toBe('A reply I typed without a name.')
    // Under the reply it answers, open; the main form shows nothing.
    expect(await page.locator(`li:has(> #comment-${parent}) > details.reply[open] .field-error`).count()).toBe(1)
    expect(await page.locator('#comment-form .form-errors').count()).toBe(0)
    expect(await page.locator('details.reply[open]').count()).toBe(1)
    mkdirSync(SCREENSHOTS, {recursive: true})
    await page.locator(`li:has(> #comment-${parent})`).screenshot({path: `${SCREENSHOTS}/reply-error.png`})
    await page.close()
  })

  it('saves screenshots of the review page at desktop and phone widths', async () => {
    mkdirSync(SCREENSHOTS, {recursive: true})
    for (const [name, viewport] of [
      ['desktop', {width: 1280, height: 900}],
      ['phone', {width: 390, height: 844}],
    ] as const) {
      const context = await browser.newContext({baseURL: site.baseUrl, viewport, deviceScaleFactor: 1})
      const page = await open(context)
      await page.screenshot({path: `${SCREENSHOTS}/review-${name}.png`})
      await page.screenshot({path: `${SCREENSHOTS}/review-${name}-full.png`, fullPage: true})
      await page.locator('#discussion').scrollIntoViewIfNeeded()
      await page.screenshot({path: `${SCREENSHOTS}/review-${name}-discussion.png`})
      const film = await open(context, '/films/her-2013')
      await film.screenshot({path: `${SCREENSHOTS}/film-${name}.png`, fullPage: true})
      const home = await open(context, '/')
      await home.screenshot({path: `${SCREENSHOTS}/home-${name}.png`})
      // Nothing may be wider than the viewport (no sideways scrolling on a phone).
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width)
      await context.close()
    }
    expect(existsSync(`${SCREENSHOTS}/review-phone.png`)).toBe(true)
  })
})
