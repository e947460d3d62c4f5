import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {createClient, type IdentifiedSanityDocumentStub, type SanityClient} from '@sanity/client'
import {type BrowserContext, chromium} from 'playwright-core'

import {privateCommentId} from '../../comments/ids'
import {importReview, parseFacts} from '../../importer/index'
import {apiVersion, defaultDataset, localProjectId} from '../../lib/constants'
import herFacts from '../../seed/her-2013.facts'
import {type RunningServer, startServer} from '../../server'

import {chromiumPath} from '../helpers/chromium'

export {ensureStudioBuild} from '../../server/studio-build'
export {chromiumPath}
export type {RunningServer}

export const ROOT = resolve(import.meta.dirname, '../..')

export function lakeClient(server: RunningServer): SanityClient {
  return createClient({
    projectId: localProjectId,
    dataset: defaultDataset,
    apiVersion,
    apiHost: server.apiUrl,
    useProjectHostname: false,
    token: server.token,
    useCdn: false,
    perspective: 'raw',
  })
}

export const HER_REVIEW_FILE = join(ROOT, 'seed/her-2013-user-review.txt')

/**
 * The Her review through the importer (film, people, review), plus a pending reader comment on it,
 * stored where the comment handler stores submissions: at the private `moderation.` id. `commentId`
 * is its public id, where Approve moves it.
 */
export async function seedHer(client: SanityClient): Promise<{reviewId: string; filmId: string; commentId: string}> {
  const {documents} = importReview(readFileSync(HER_REVIEW_FILE, 'utf8'), {fileName: HER_REVIEW_FILE, facts: parseFacts(herFacts, 'seed/her-2013.facts.ts')})
  const review = documents.find((doc) => doc._type === 'review')
  const film = documents.find((doc) => doc._type === 'film')
  if (!review || !film) throw new Error('The importer built no review or film from the Her review')
  const commentId = 'comment-e2e-pending'
  const transaction = client.transaction()
  for (const doc of documents) transaction.createOrReplace(doc as IdentifiedSanityDocumentStub)
  transaction.createOrReplace({
    _id: privateCommentId(commentId),
    _type: 'comment',
    review: {_type: 'reference', _ref: review._id},
    authorName: 'Ada Reader',
    body: 'The ending made me cry. Thanks for the thoughtful review!',
    status: 'pending',
    createdAt: '2024-05-01T10:00:00.000Z',
  })
  await transaction.commit()
  return {reviewId: review._id, filmId: film._id, commentId}
}

/** Polls until `read` returns a value `accept` takes, or fails with the last value seen. */
export async function eventually<T>(what: string, read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (;;) {
    last = await read()
    if (accept(last)) return last
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}; last value: ${JSON.stringify(last)}`)
    await new Promise((resolveWait) => setTimeout(resolveWait, 200))
  }
}

/**
 * The local server on a free port over a fresh data folder, serving the Studio built in
 * `studioDir`; server log lines that mention a failure are collected in `errors`.
 */
export async function startStudioServer(studioDir: string, errors: string[]): Promise<{server: RunningServer; dataDir: string}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'studio-e2e-lake-'))
  const server = await startServer({
    port: 0,
    dir: dataDir,
    studioDir,
    log: (line) => {
      if (/fail|error/i.test(line)) errors.push(line)
    },
  })
  return {server, dataDir}
}

/** Headless Chromium with its own profile folder, trusting the server's self-signed certificate. */
export async function launchStudioBrowser(userDataDir: string, timeoutMs: number): Promise<BrowserContext> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    headless: true,
    // The certificate is self-signed and made for this run's data folder.
    ignoreHTTPSErrors: true,
    viewport: {width: 1400, height: 900},
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  context.setDefaultTimeout(timeoutMs)
  return context
}

/** The Studio's session token, got the way the Studio gets it (the login redirect's `#token=`), here with the lake token. */
export async function studioSession(server: RunningServer): Promise<string> {
  const origin = `${server.studioUrl}`
  const answer = await fetch(`${server.apiUrl}/auth/login?origin=${encodeURIComponent(origin)}`, {headers: {authorization: `Bearer ${server.token}`}, redirect: 'manual'})
  const token = /#token=(.+)$/.exec(answer.headers.get('location') ?? '')?.[1]
  if (!token) throw new Error(`The login redirect carried no session (status ${answer.status}, location ${answer.headers.get('location')})`)
  return token
}

/** A second review of Her (a copy of the seeded one under another id, title and slug), so a release can carry two. */
export async function seedSecondReview(client: SanityClient, reviewId: string): Promise<string> {
  const her = await client.getDocument(reviewId)
  if (!her) throw new Error(`seedSecondReview: there is no review ${reviewId}`)
  const {_rev: _r, _createdAt: _c, _updatedAt: _u, ...content} = her
  const id = 'review-her-2013-a-second-look'
  await client.createOrReplace({...content, _id: id, title: 'A second look', slug: {_type: 'slug', current: 'her-2013-a-second-look'}})
  return id
}

/**
 * Requests to the local server answered 4xx/5xx during a browser session. Tests that provoke one
 * on purpose say so first (`expect`), and only those are excused.
 */
export class FailedRequests {
  readonly unexpected: string[] = []
  readonly provoked: string[] = []
  readonly #expected: {status: number; method: string; path: RegExp; why: string}[] = []

  expect(status: number, method: string, path: RegExp, why: string): void {
    this.#expected.push({status, method, path, why})
  }

  record(status: number, method: string, url: string): void {
    const {hostname, pathname} = new URL(url)
    if (hostname !== 'localhost' && !hostname.endsWith('.localhost') && hostname !== '127.0.0.1') return
    const index = this.#expected.findIndex((entry) => entry.status === status && entry.method === method && entry.path.test(pathname))
    const line = `${status} ${method} ${pathname}`
    if (index === -1) {
      this.unexpected.push(line)
      return
    }
    const [entry] = this.#expected.splice(index, 1)
    this.provoked.push(`${line} (${entry?.why})`)
  }
}
