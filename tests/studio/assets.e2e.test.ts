/**
 * Images in the real Studio (built with `sanity build`) against the local server in Chromium:
 * upload a film poster and a person portrait through the image input's upload button, set crop
 * and hotspot in the image tool, publish, and see the pictures in document lists and in the
 * cast references' previews. The lake must hold the assets and the editor's choices, and the
 * CDN-shaped URLs must serve what the crop says.
 */
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {SanityClient} from '@sanity/client'
import {createImageUrlBuilder} from '@sanity/image-url'
import type {BrowserContext, Locator, Page} from 'playwright-core'
import sharp from 'sharp'
import {afterAll, afterEach, beforeAll, describe, expect, test} from 'vitest'

import type {RunningServer} from '../../server'
import {chromiumPath, ensureStudioBuild, eventually, lakeClient, launchStudioBrowser, ROOT, seedHer, startStudioServer} from './support'

const SCREENSHOTS = join(ROOT, 'test-results/studio-assets')
// Its own build folder: the other Studio e2e file may be building its own at the same time.
const STUDIO_DIR = process.env.E2E_ASSETS_STUDIO_DIR ?? join(ROOT, '.sanity/e2e-studio-assets')
const UI_TIMEOUT = 30_000
const POSTER_FILE = join(ROOT, 'seed/her-2013-poster.jpg')
const sha1 = (bytes: Uint8Array) => createHash('sha1').update(bytes).digest('hex')

interface ImageValue {
  asset?: {_ref: string}
  alt?: string
  crop?: {top: number; bottom: number; left: number; right: number}
  hotspot?: {x: number; y: number; width: number; height: number}
}

describe('images in Sanity Studio (Chromium)', () => {
  let server: RunningServer
  let client: SanityClient
  let context: BrowserContext
  let page: Page
  let dataDir: string
  let userDataDir: string
  let portraitFile: string
  const serverErrors: string[] = []
  const failedImages: string[] = []
  let step = 0

  const shot = async (name: string) => {
    step += 1
    await page.screenshot({path: join(SCREENSHOTS, `${String(step).padStart(2, '0')}-${name}.png`)})
  }

  beforeAll(async () => {
    // Fails fast, saying how to install Chromium, before the slow Studio build.
    chromiumPath()
    mkdirSync(SCREENSHOTS, {recursive: true})
    await ensureStudioBuild(STUDIO_DIR)
    ;({server, dataDir} = await startStudioServer(STUDIO_DIR, serverErrors))
    client = lakeClient(server)
    await seedHer(client)
    portraitFile = join(dataDir, 'joaquin-portrait.png')
    writeFileSync(
      portraitFile,
      await sharp({create: {width: 480, height: 600, channels: 3, background: '#5a4636'}})
        .composite([{input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="480" height="600"><circle cx="240" cy="230" r="120" fill="#e2c29f"/><rect x="110" y="380" width="260" height="220" rx="110" fill="#2f4f6b"/></svg>')}])
        .png()
        .toBuffer(),
    )

    userDataDir = mkdtempSync(join(tmpdir(), 'studio-assets-chromium-'))
    context = await launchStudioBrowser(userDataDir, UI_TIMEOUT)
    page = context.pages()[0] ?? (await context.newPage())
    page.on('response', (response) => {
      if (response.status() >= 500) serverErrors.push(`${response.status()} ${response.request().method()} ${response.url()}`)
      // Any image the lake was asked for must come back.
      if (/\/(images|files)\/local\//.test(response.url()) && response.status() >= 400) failedImages.push(`${response.status()} ${response.url()}`)
    })
    // Signed in the way an editor is: through the one-time login link npm start prints.
    await page.goto(server.loginUrl)
    await page.getByTestId('structure-tool-list-pane').waitFor()
  }, 300_000)

  afterEach(async (testContext) => {
    if (testContext.task.result?.state === 'fail' && page) await shot(`FAILED-${testContext.task.name.replace(/\W+/g, '-').slice(0, 60)}`)
  })

  afterAll(async () => {
    await context?.close()
    await server?.close()
    for (const dir of [dataDir, userDataDir]) if (dir) rmSync(dir, {recursive: true, force: true})
  })

  const openDocument = async (type: string, id: string) => {
    await page.goto(`${server.studioUrl}structure/${type};${id}`)
    await page.getByTestId('form-view').waitFor()
  }

  /** Uploads a file through the image input's own upload button (the browser's file chooser). */
  const uploadThroughInput = async (field: Locator, file: string) => {
    const chooser = page.waitForEvent('filechooser')
    await field.getByTestId('file-input-upload-button-sanity-default').click()
    await (await chooser).setFiles(file)
  }

  const draftImage = (id: string, field: string) => client.fetch<ImageValue | null>(`*[_id == $id][0].${field}`, {id: `drafts.${id}`})

  const publish = async (id: string) => {
    const button = page.getByTestId('action-publish')
    await expect.poll(() => button.isEnabled(), {timeout: UI_TIMEOUT}).toBe(true)
    await button.click()
    await eventually(`the draft of ${id} to be published`, () => client.fetch<number>('count(*[_id == $id])', {id: `drafts.${id}`}), (count) => count === 0)
  }

  /** Every `<img>` matched has loaded real pixels. */
  const expectLoaded = async (images: Locator) => {
    await expect
      .poll(() => images.evaluateAll((nodes) => nodes.length > 0 && nodes.every((node) => node instanceof HTMLImageElement && node.complete && node.naturalWidth > 0)), {timeout: UI_TIMEOUT})
      .toBe(true)
  }

  test('uploads a film poster through the image input, with alt text', async () => {
    await openDocument('film', 'film-her-2013')
    await page.getByRole('tab', {name: 'Media'}).click()
    const field = page.getByTestId('image-input')
    await field.waitFor()
    await shot('poster-empty')
    await uploadThroughInput(field, POSTER_FILE)
    const poster = readFileSync(POSTER_FILE)
    const assetId = `image-${sha1(poster)}-400x600-jpg`
    await eventually('the draft poster to reference the uploaded asset', () => draftImage('film-her-2013', 'poster'), (value) => value?.asset?._ref === assetId)
    const asset = await client.fetch<{originalFilename: string; url: string; metadata: {dimensions: {width: number}}} | null>('*[_id == $id][0]', {id: assetId})
    // Uploaded over HTTP/2 from the Studio's HTTPS page, the asset's url still names the plain loopback origin.
    expect(asset).toMatchObject({originalFilename: 'her-2013-poster.jpg', url: `${server.apiUrl}/images/local/production/${sha1(poster)}-400x600.jpg`, metadata: {dimensions: {width: 400}}})
    // The Studio shows the uploaded picture, served by the lake.
    await expectLoaded(field.locator('img[src*="/images/local/production/"]'))
    await page.locator('input[id="poster.alt"]').fill('The word "her" under a glowing earpiece')
    await eventually('the alt text in the draft', () => draftImage('film-her-2013', 'poster'), (value) => value?.alt === 'The word "her" under a glowing earpiece')
    await shot('poster-uploaded')
  })

  test('sets crop and hotspot in the image tool, publishes, and the URL serves the crop', async () => {
    const field = page.getByTestId('image-input')
    await field.getByTestId('options-menu-edit-details').click()
    const dialog = page.getByRole('dialog')
    const leftHandle = dialog.locator('[data-handle="crop-left"]').first()
    await leftHandle.waitFor()
    await shot('image-tool')
    const tool = await dialog.locator('[data-handle="crop"]').first().boundingBox()
    if (!tool) throw new Error('the image tool has no crop area on screen')
    const drag = async (handle: string, dx: number, dy: number) => {
      const box = await dialog.locator(`[data-handle="${handle}"]`).last().boundingBox()
      if (!box) throw new Error(`the image tool shows no ${handle} handle`)
      const x = box.x + box.width / 2
      const y = box.y + box.height / 2
      await page.mouse.move(x, y)
      await page.mouse.down()
      await page.mouse.move(x + dx, y + dy, {steps: 10})
      await page.mouse.up()
    }
    // Crop: the left edge a quarter of the way in.
    await drag('crop-left', tool.width / 4, 0)
    await eventually('the crop in the draft', () => draftImage('film-her-2013', 'poster'), (value) => (value?.crop?.left ?? 0) > 0.15)
    // Hotspot: make it smaller (its handle towards the middle), then move it up.
    await drag('hotspotHandle', -tool.width / 5, -tool.height / 5)
    await eventually('a smaller hotspot in the draft', () => draftImage('film-her-2013', 'poster'), (value) => (value?.hotspot?.height ?? 1) < 0.9)
    await drag('hotspot', 0, -tool.height / 8)
    await shot('image-tool-cropped')
    const edited = await eventually(
      'crop and hotspot in the draft',
      () => draftImage('film-her-2013', 'poster'),
      (value) => (value?.crop?.left ?? 0) > 0.15 && (value?.hotspot?.y ?? 0.5) < 0.48,
    )
    await page.keyboard.press('Escape')
    await dialog.waitFor({state: 'detached'})
    await publish('film-her-2013')
    const published = await client.fetch<ImageValue>('*[_id == "film-her-2013"][0].poster')
    expect(published).toMatchObject({alt: 'The word "her" under a glowing earpiece', crop: edited?.crop, hotspot: edited?.hotspot})

    // What a frontend gets: @sanity/image-url turns the editor's crop into rect=, and the lake serves exactly that.
    const builder = createImageUrlBuilder({projectId: server.projectId, dataset: 'production', baseUrl: server.apiUrl})
    const cropLeft = Math.round((published.crop?.left ?? 0) * 400)
    const url = builder.image(published).url()
    expect(new URL(url).searchParams.get('rect')?.split(',')[0]).toBe(String(cropLeft))
    const served = await sharp(Buffer.from(await (await fetch(url)).arrayBuffer())).metadata()
    expect(served.width).toBe(400 - cropLeft - Math.round((published.crop?.right ?? 0) * 400))
  })

  test('uploads a person portrait through the image input', async () => {
    await openDocument('person', 'person-joaquin-phoenix')
    const field = page.getByTestId('image-input')
    await field.waitFor()
    await uploadThroughInput(field, portraitFile)
    const assetId = `image-${sha1(readFileSync(portraitFile))}-480x600-png`
    await eventually('the draft portrait', () => draftImage('person-joaquin-phoenix', 'image'), (value) => value?.asset?._ref === assetId)
    await expectLoaded(field.locator('img[src*="/images/local/production/"]'))
    await page.locator('input[id="image.alt"]').fill('Joaquin Phoenix, drawn as a simple figure')
    await eventually('the portrait alt text', () => draftImage('person-joaquin-phoenix', 'image'), (value) => value?.alt === 'Joaquin Phoenix, drawn as a simple figure')
    await publish('person-joaquin-phoenix')
    await shot('portrait-published')
  })

  test('shows the poster and the portrait as previews in document lists', async () => {
    await page.goto(`${server.studioUrl}structure/film`)
    const films = page.getByTestId('document-list-pane')
    await films.getByText('Her (2013)', {exact: true}).waitFor()
    await expectLoaded(films.locator(`img[src*="/images/local/production/${sha1(readFileSync(POSTER_FILE))}-400x600.jpg"]`))
    await shot('films-list')
    await page.goto(`${server.studioUrl}structure/person`)
    const people = page.getByTestId('document-list-pane')
    await people.getByText('Joaquin Phoenix').waitFor()
    await expectLoaded(people.locator(`img[src*="/images/local/production/${sha1(readFileSync(portraitFile))}-480x600.png"]`))
    await shot('people-list')
  })

  test("shows the portrait in the cast references' previews", async () => {
    await openDocument('film', 'film-her-2013')
    await page.getByRole('tab', {name: 'Cast & crew'}).click()
    // The cast item whose subtitle names Theodore: Joaquin Phoenix, the person with the new portrait.
    const item = page.getByTestId('form-view').getByText('as Theodore Twombly').locator('xpath=ancestor::*[.//img][1]')
    await item.scrollIntoViewIfNeeded()
    const portrait = item.locator(`img[src*="/images/local/production/${sha1(readFileSync(portraitFile))}-480x600.png"]`)
    await expectLoaded(portrait)
    await shot('cast-previews')
    expect(failedImages).toEqual([])
    expect(serverErrors).toEqual([])
  })
})
