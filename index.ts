/**
 * The package's root entry, for frontends: typed queries, their parameter schemas and fetch
 * helper, Portable Text rendering and the client settings for the local lake or a hosted
 * project. Runtime-neutral (browsers, edge runtimes, Node 20+): Node-only parts live behind
 * their own entries (`/importer`, `/lake`, `/server`), Studio code behind `/schemas` and `/studio`.
 */
export * from './entries/queries'
export * from './queries/portable-text'
export {apiVersion, clientConfig, resolveTarget, type Env, type SanityTarget} from './lib/client-config'
export * from './queries/images'
