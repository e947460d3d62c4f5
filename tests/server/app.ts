/**
 * The app server as `npm start` composes it (lake API, Studio support endpoints, a built Studio,
 * the reference site and /api/comments), seeded with the Her review, on a free port.
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {createClient, type SanityClient} from '@sanity/client'

import {createCommentHandler} from '../../comments/index'
import {apiVersion, defaultDataset, localProjectId} from '../../lib/constants'
import {type AppHandler, type RunningServer, startServer, type StartServerOptions} from '../../server'
import {createSiteApp, createSiteHandler} from '../../site/index'
import {lakeClient, seedHer} from '../studio/support'

export interface AppServer {
  server: RunningServer
  /** A write client over plain HTTP. */
  client: SanityClient
  ids: {reviewId: string; filmId: string; commentId: string}
  /** Lines the server logged (errors, boundary failures). */
  logs: string[]
  dir: string
  close(): Promise<void>
}

/** `wrapApp` lets a test put routes in front of the site (e.g. ones that throw). */
export async function startAppServer(options: Partial<StartServerOptions> & {wrapApp?: (app: AppHandler) => AppHandler} = {}): Promise<AppServer> {
  const dir = mkdtempSync(join(tmpdir(), 'app-server-'))
  // A stand-in for the built Studio: the static handler only needs files.
  const studioDir = join(dir, 'studio')
  mkdirSync(join(studioDir, 'static'), {recursive: true})
  writeFileSync(join(studioDir, 'index.html'), '<!doctype html><title>Studio</title><div id="sanity"></div>\n')
  writeFileSync(join(studioDir, 'static', 'app.js'), 'console.log("studio")\n')
  const logs: string[] = []
  const {wrapApp, ...serverOptions} = options
  const clientFor = (apiUrl: string, token?: string) =>
    createClient({projectId: localProjectId, dataset: defaultDataset, apiVersion, apiHost: apiUrl, useProjectHostname: false, useCdn: false, ...(token ? {token} : {})})
  const server = await startServer({
    port: 0,
    dir: join(dir, 'data'),
    studioDir,
    log: (line) => logs.push(line),
    app: ({apiUrl, token}) => {
      const app = createSiteApp({
        site: createSiteHandler({client: clientFor(apiUrl), log: (line) => logs.push(`site: ${line}`)}),
        comments: createCommentHandler({client: clientFor(apiUrl, token), onError: (error) => logs.push(`comments: ${String(error)}`)}),
      })
      return wrapApp ? wrapApp(app) : app
    },
    ...serverOptions,
  })
  const client = lakeClient(server)
  const ids = await seedHer(client)
  return {
    server,
    client,
    ids,
    logs,
    dir,
    close: async () => {
      await server.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}
