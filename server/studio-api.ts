import {type LakeHandler, LakeError, type RouteContext} from '../lake'
import {LAKE_TOKEN_USER_ID} from '../lake/history'
import {decodePathSegment, type RouteHandler} from '../lake/http'
import {parseActionsRequest, runActions} from './actions'
import type {UserSettings} from './settings'

/**
 * The parts of Sanity's API that the Studio needs beyond the lake's data API: the
 * signed-in user and the users history names, permissions, the Actions API (documents,
 * release versions, releases), per-user settings kept on disk, the project's features, and
 * quiet answers for hosted-only services (telemetry, journeys, help). Queries (including the
 * Studio's `text::query()` search), `/data/references` and the History API are the lake's
 * own routes.
 */

export interface LocalUser {
  id: string
  name: string
  email: string
  role: string
}

export const LOCAL_USER: LocalUser = {id: 'local-editor', name: 'Local editor', email: 'editor@localhost', role: 'administrator'}

/** The robot user of the lake token: history names it as the author of scripts' and imports' writes. */
export const LAKE_TOKEN_USER: LocalUser = {id: LAKE_TOKEN_USER_ID, name: 'Lake token (scripts)', email: 'token@localhost', role: 'administrator'}

/**
 * The project's features, as `/features` lists them for the Studio: Content Releases work on
 * the lake. Comments, Tasks, Scheduled Publishing and scheduled drafts need Sanity's hosted
 * services and are not listed (sanity.config.ts turns them off locally).
 */
export const LOCAL_FEATURES = ['contentReleases'] as const

/** Active releases a dataset may hold locally (the Studio asks; hosted plans limit it). */
export const LOCAL_RELEASE_LIMIT = 10_000

export interface StudioRoutesOptions {
  projectId: string
  user?: LocalUser
  /** `/auth/login` (GET and the form POST): hands the Studio its session, or refuses (see login.ts). */
  login: RouteHandler
  /** `/auth/logout`. Default: answers `{}`. */
  logout?: RouteHandler
  /** Where `/users/me/keyvalue` keeps each user's settings. */
  settings: UserSettings
}

function userView(user: LocalUser) {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    profileImage: null,
    provider: 'local',
    role: user.role,
    roles: [{name: user.role, title: 'Administrator', description: 'Full access on this computer'}],
  }
}

/** A user as `/users/<ids>` shows them to others (the Studio's user store reads `displayName` and `imageUrl`). */
function publicUserView(known: LocalUser, current: LocalUser | undefined) {
  const [givenName, ...rest] = known.name.split(' ')
  return {
    id: known.id,
    displayName: known.name,
    givenName: givenName ?? known.name,
    familyName: rest.join(' ') || null,
    middleName: null,
    imageUrl: null,
    isCurrentUser: current?.id === known.id,
  }
}

/** Everything, for the local editor: the Studio greys out what a grant lacks. */
const FULL_GRANTS = [{filter: '_id in path("**")', permissions: ['history', 'read', 'update', 'create', 'manage']}]

function requireSession(ctx: RouteContext, what: string): void {
  if (!ctx.authenticated) throw new LakeError(401, 'unauthorized', `${what} needs the Studio's local session or the lake token`)
}

function datasetOf(ctx: RouteContext, group = 1) {
  return ctx.store.dataset(decodePathSegment(ctx.match[group] ?? '', 'dataset name'))
}

function keyValueBody(body: unknown): {key: string; value: unknown}[] {
  const items = Array.isArray(body) ? body : [body]
  return items.map((item: unknown) => {
    if (typeof item !== 'object' || item === null || !('key' in item) || typeof item.key !== 'string') {
      throw new LakeError(400, 'invalidRequest', 'Send key-value pairs as [{"key": "...", "value": ...}]')
    }
    return {key: item.key, value: 'value' in item ? item.value : null}
  })
}

export function registerStudioRoutes(handler: LakeHandler, options: StudioRoutesOptions): void {
  const user = options.user ?? LOCAL_USER
  const projectId = options.projectId
  const {settings} = options
  const knownUsers = new Map([user, LAKE_TOKEN_USER].map((known) => [known.id, known]))
  /** The user a request acts as: the Studio's user with its session, the token's robot user with the token. */
  const currentUser = (ctx: RouteContext) => (ctx.author ? (knownUsers.get(ctx.author) ?? user) : undefined)
  // Public, as Sanity names it: anyone may read the published documents without a `.` in their id.
  const datasetList = (ctx: RouteContext) => ctx.store.datasetNames().map((name) => ({name, aclMode: 'public', tags: []}))
  const project = () => ({
    id: projectId,
    displayName: 'Local Content Lake',
    studioHost: null,
    isBlocked: false,
    isDisabled: false,
    isDisabledByUser: false,
    organizationId: null,
    metadata: {externalStudioHost: null},
    members: [{id: user.id, role: user.role, roles: [{name: user.role, title: 'Administrator'}], isRobot: false, isCurrentUser: true}],
    features: [],
  })
  const ok = (body: unknown) => (ctx: RouteContext) => ctx.send(200, body)

  handler
    .route('GET', /^\/users\/me$/, (ctx) => {
      const me = currentUser(ctx)
      ctx.send(200, me ? userView(me) : {})
    })
    .route('GET', /^\/users\/me\/keyvalue\/(.+)$/, (ctx) => {
      const keys = decodePathSegment(ctx.match[1] ?? '', 'key list').split(',')
      const me = currentUser(ctx)
      ctx.send(200, keys.map((key) => ({key, value: me ? settings.get(me.id, key) : null})))
    })
    .route(['PUT', 'POST', 'PATCH'], /^\/users\/me\/keyvalue$/, async (ctx) => {
      requireSession(ctx, 'Saving preferences')
      const me = currentUser(ctx) ?? user
      const pairs = keyValueBody(await ctx.readJson())
      settings.set(me.id, pairs)
      ctx.send(200, pairs)
    })
    .route('GET', /^\/users\/([^/]+)$/, (ctx) => {
      const ids = decodePathSegment(ctx.match[1] ?? '', 'user id list').split(',')
      const me = currentUser(ctx)
      const found = ids.flatMap((id) => {
        const known = knownUsers.get(id === 'me' ? (me?.id ?? '') : id)
        return known ? [publicUserView(known, me)] : []
      })
      ctx.send(200, ids.length === 1 ? (found[0] ?? null) : found)
    })
    .route('GET', /^\/auth\/id$/, (ctx) => ctx.send(ctx.authenticated ? 200 : 401, ctx.authenticated ? {id: user.id} : {error: 'Unauthorized'}))
    .route('GET', /^\/auth\/providers$/, (ctx) => {
      const host = ctx.req.headers[':authority'] ?? ctx.req.headers.host ?? `localhost`
      ctx.send(200, {
        thirdPartyLogin: false,
        sso: {saml: false},
        providers: [{name: 'local', title: 'This computer (local session)', url: `https://${String(host)}/auth/login`}],
      })
    })
    .route(['GET', 'POST'], /^\/auth\/login$/, options.login)
    .route('POST', /^\/auth\/logout$/, options.logout ?? ok({}))
    .route('GET', /^\/projects\/([^/]+)$/, ok(project()))
    .route('GET', /^\/projects\/([^/]+)\/datasets$/, (ctx) => {
      // The comments add-on asks for its own dataset profile; there is none locally.
      if (ctx.url.searchParams.get('datasetProfile')) return ctx.send(200, [])
      ctx.send(200, datasetList(ctx))
    })
    // `client.datasets.list()` on the project host (Vision's dataset picker).
    .route('GET', /^\/datasets$/, (ctx) => ctx.send(200, datasetList(ctx)))
    .route('GET', /^\/projects\/([^/]+)\/datasets\/([^/]+)\/acl$/, ok(FULL_GRANTS))
    .route('GET', /^\/projects\/([^/]+)\/grants$/, ok({}))
    .route('GET', /^\/projects\/([^/]+)\/user-applications(\/.*)?$/, ok([]))
    .route('GET', /^\/projects\/([^/]+)\/datasets\/([^/]+)\/settings\/.*$/, ok({}))
    .route('GET', /^\/features$/, ok(LOCAL_FEATURES))
    // The plan, as the Studio reads it: the Releases tool says how long archived releases stay restorable (the history retention).
    .route('GET', /^\/subscriptions\/project\/([^/]+)$/, (ctx) =>
      ctx.send(200, {
        plan: {name: 'Local Content Lake'},
        featureTypes: {retention: {features: [{attributes: {maxRetentionDays: ctx.options.historyRetentionDays}}]}},
      }),
    )
    // The Releases tool's plan limits: none locally (no metered releases, no organisation limit).
    .route('GET', /^\/projects\/([^/]+)\/new-content-release-allowed$/, ok({data: {orgMeteredActiveReleaseCount: 0, orgActiveReleaseLimit: null, datasetReleaseLimit: LOCAL_RELEASE_LIMIT}}))
    .route('GET', /^\/schedules\/([^/]+)\/([^/]+)$/, ok({schedules: []}))
    .route('GET', /^\/journey\/announcements$/, ok([]))
    .route(['GET', 'POST'], /^\/journey\/.*$/, ok({}))
    .route('GET', /^\/intake\/telemetry-status$/, ok({status: 'denied'}))
    .route('POST', /^\/intake\/.*$/, ok({}))
    // `/data/ping/<dataset>` is the lake's own route.
    .route(['GET', 'HEAD'], /^\/ping$/, (ctx) => {
      ctx.res.statusCode = 200
      ctx.res.setHeader('content-type', 'text/plain')
      ctx.res.end('PONG')
    })
    .route('GET', /^\/help$/, ok({}))
    .route('POST', /^\/data\/actions\/([^/]+)$/, async (ctx) => {
      requireSession(ctx, 'Writing')
      const request = parseActionsRequest(await ctx.readJson())
      ctx.send(200, await runActions(datasetOf(ctx), request, ctx.author ?? user.id))
    })
}
