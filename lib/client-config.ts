/**
 * Where content lives and how `@sanity/client` reaches it, for any runtime: browsers, edge
 * runtimes, Node 20+. No Node built-ins here (the package's import-graph test keeps it so);
 * `lib/env.ts` adds the Node-only part, reading the local lake's token file.
 */
import {apiVersion, defaultDataset, defaultLakePort, localProjectId} from './constants'

export type SanityTarget =
  | {
      kind: 'hosted'
      projectId: string
      dataset: string
      token: string | undefined
      apiHost: string | undefined
    }
  | {
      kind: 'lake'
      projectId: string
      dataset: string
      token: string | undefined
      apiHost: string
    }

/**
 * Environment variables as `process.env`, Vite's or Astro's `import.meta.env` (which also holds
 * booleans such as `DEV`) or a plain object hold them; only non-empty strings count.
 */
export type Env = Readonly<Record<string, unknown>>

/** `process.env` where the runtime has one (Node, most edge runtimes), else nothing. */
function runtimeEnv(): Env {
  const process = (globalThis as {process?: {env?: Env}}).process
  return process?.env ?? {}
}

function read(env: Env, name: string): string | undefined {
  const value = env[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Decides where content lives. A hosted project when `SANITY_PROJECT_ID` is set,
 * otherwise the local lake (at `SANITY_API_HOST`, or the default loopback port).
 * The same client options work for both, so callers never branch on the backend.
 */
export function resolveTarget(env: Env = runtimeEnv()): SanityTarget {
  const dataset = read(env, 'SANITY_DATASET') ?? defaultDataset
  const token = read(env, 'SANITY_API_WRITE_TOKEN')
  const apiHost = read(env, 'SANITY_API_HOST')
  const projectId = read(env, 'SANITY_PROJECT_ID')
  if (projectId) return {kind: 'hosted', projectId, dataset, token, apiHost}
  return {
    kind: 'lake',
    projectId: localProjectId,
    dataset,
    token,
    apiHost: apiHost ?? `http://127.0.0.1:${read(env, 'LAKE_PORT') ?? defaultLakePort}`,
  }
}

/** Options for `createClient` from `@sanity/client` that reach the resolved target. */
export function clientConfig(target: SanityTarget = resolveTarget()) {
  return {
    projectId: target.projectId,
    dataset: target.dataset,
    apiVersion,
    token: target.token,
    useCdn: false,
    ...(target.kind === 'lake'
      ? {apiHost: target.apiHost, useProjectHostname: false}
      : target.apiHost
        ? {apiHost: target.apiHost}
        : {}),
  } as const
}

export {apiVersion}
