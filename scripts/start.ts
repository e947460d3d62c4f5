/**
 * `npm start`: builds the Studio when its sources changed, starts the local server (lake API,
 * Studio over HTTP/2 + TLS, reference site and comment endpoint) on 127.0.0.1, seeds what the
 * reviews in seed/ add that was never seeded (never overwriting edits) and prints where everything is.
 *
 *   npm start -- [--port 3434] [--dir .lake] [--no-seed] [--query-timeout 10000] [--history-retention-days 365]
 */
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

import {createClient} from '@sanity/client'

import {createCommentHandler} from '../comments'
import {defaultSeedDeps, sanityDatasetClient} from '../importer/command'
import {describeSeedReport, seedOnStart} from '../importer/seed-on-start'
import {wholeNumberOption} from '../lib/cli'
import {apiVersion, defaultDataset, defaultLakeDir, defaultLakePort} from '../lib/constants'
import {CORS_ORIGINS_ENV, resolveCorsOrigins, startServer} from '../server'
import {DEFAULT_HISTORY_RETENTION_DAYS, HISTORY_RETENTION_ENV, resolveHistoryRetentionDays} from '../lake/scheduler'
import {ensureStudioBuild} from '../server/studio-build'
import {createSiteApp, createSiteHandler} from '../site'

export interface StartOptions {
  port: number
  dir: string
  seed: boolean
  /** Browser origins besides the Studio's that may call the API with credentials. */
  corsOrigins?: string[]
  /** Time budget of one query in ms (default: the lake's, 10 000). */
  queryTimeoutMs?: number
  /** Days of document history kept (default: the lake's, 365; 0 keeps all). */
  historyRetentionDays?: number
}

const HELP = `Usage: npm start -- [options]

Starts everything on this computer (127.0.0.1 only): the local Content Lake API, Sanity Studio,
the reference review site and the comment endpoint, and seeds the reviews in seed/ (only what
was never seeded: what editors changed, unpublished or deleted stays as they left it).

Options:
  --port <port>   Port (default ${defaultLakePort}; 0 picks a free one)
  --dir <folder>  Data folder (default ${defaultLakeDir})
  --no-seed       Do not seed the reviews in seed/
  --cors-origin <origin>
                  A browser origin (e.g. http://localhost:3333) that may call the API with
                  credentials; repeat for more, or list them in ${CORS_ORIGINS_ENV} (comma-separated)
  --query-timeout <ms>
                  Time budget of one query; longer ones answer 408 (default 10000)
  --history-retention-days <days>
                  Days of document history kept: History, restore and archived releases reach
                  back this far (default ${DEFAULT_HISTORY_RETENTION_DAYS}; 0 keeps all; or ${HISTORY_RETENTION_ENV})
  --help          Show this help`

export function parseStartArgs(
  argv: readonly string[],
): StartOptions | {help: true} | {error: string} {
  try {
    const {values} = parseArgs({
      args: [...argv],
      options: {
        port: {type: 'string'},
        dir: {type: 'string'},
        'no-seed': {type: 'boolean'},
        'cors-origin': {type: 'string', multiple: true},
        'query-timeout': {type: 'string'},
        'history-retention-days': {type: 'string'},
        help: {type: 'boolean', short: 'h'},
      },
      strict: true,
    })
    if (values.help) return {help: true}
    const port = wholeNumberOption(values.port, 'port', 0, 65535) ?? defaultLakePort
    // The same range as `npm run lake -- --query-timeout`.
    const queryTimeoutMs = wholeNumberOption(values['query-timeout'], 'query-timeout', 10, 3_600_000)
    const historyRetentionDays = resolveHistoryRetentionDays(values['history-retention-days'])
    return {
      port,
      dir: values.dir ?? defaultLakeDir,
      seed: !values['no-seed'],
      corsOrigins: resolveCorsOrigins(values['cors-origin']),
      ...(queryTimeoutMs === undefined ? {} : {queryTimeoutMs}),
      ...(historyRetentionDays === undefined ? {} : {historyRetentionDays}),
    }
  } catch (error) {
    return {error: error instanceof Error ? error.message : String(error)}
  }
}

export async function run(
  options: StartOptions,
  log: (line: string) => void = (line) => console.log(line),
) {
  const root = resolve(import.meta.dirname, '..')
  await ensureStudioBuild(join(root, 'dist'), log)
  const clientFor = (apiUrl: string, token?: string) =>
    createClient({
      projectId: 'local',
      dataset: defaultDataset,
      apiVersion,
      apiHost: apiUrl,
      useProjectHostname: false,
      useCdn: false,
      ...(token ? {token} : {}),
    })
  const server = await startServer({
    port: options.port,
    dir: options.dir,
    studioDir: join(root, 'dist'),
    corsOrigins: options.corsOrigins ?? [],
    ...(options.queryTimeoutMs === undefined ? {} : {queryTimeoutMs: options.queryTimeoutMs}),
    ...(options.historyRetentionDays === undefined ? {} : {historyRetentionDays: options.historyRetentionDays}),
    log: (line) => console.error(line),
    app: ({apiUrl, token}) =>
      createSiteApp({
        // Readers see what anonymous clients see: published documents only.
        site: createSiteHandler({client: clientFor(apiUrl), log: (line) => console.error(line)}),
        comments: createCommentHandler({
          client: clientFor(apiUrl, token),
          onError: (error) => console.error(error),
        }),
      }),
  })
  if (options.seed) {
    // Only what was never seeded: editors' changes, drafts and deletions survive a restart.
    try {
      const report = await seedOnStart({
        dir: join(root, 'seed'),
        files: defaultSeedDeps(),
        client: sanityDatasetClient({kind: 'lake', projectId: 'local', dataset: defaultDataset, token: server.token, apiHost: server.apiUrl}),
      })
      log(describeSeedReport(report))
    } catch (error) {
      await server.close()
      throw new Error(`Seeding the reviews in seed/ failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const site = `http://127.0.0.1:${server.port}`
  log(
    [
      '',
      `Studio:          ${server.loginUrl}`,
      `                 (sign-in link with a one-time secret: open it first, keep it to yourself;`,
      `                 afterwards ${server.studioUrl} is enough in this browser.`,
      `                 Your browser asks once to trust the local certificate ${server.certFile})`,
      `Review page:     ${site}/reviews/her-2013-falling-in-love-with-ai`,
      `Site:            ${site}/`,
      `API:             ${server.apiUrl}  (token in ${server.tokenFile ?? 'SANITY_API_WRITE_TOKEN'})`,
      '',
      'Query it:',
      `  curl '${server.apiUrl}/v${apiVersion}/data/query/${defaultDataset}?query=*%5B_type%3D%3D%22film%22%5D%7Btitle%7D'`,
      `  createClient({projectId: 'local', dataset: '${defaultDataset}', apiHost: '${server.apiUrl}', useProjectHostname: false, apiVersion: '${apiVersion}', useCdn: false})`,
      '',
      'Press Ctrl+C to stop.',
    ].join('\n'),
  )
  return server
}

const parsed = parseStartArgs(process.argv.slice(2))
if ('help' in parsed) {
  console.log(HELP)
} else if ('error' in parsed) {
  console.error(`${parsed.error}\n\n${HELP}`)
  process.exitCode = 2
} else {
  run(parsed).then(
    (server) => {
      const stop = () => void server.close().then(() => process.exit(0))
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error)
      process.exitCode = 1
    },
  )
}
