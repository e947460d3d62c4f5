/**
 * `npm run build:package`: the installable package in `pkg/` (ESM JavaScript + bundled `.d.ts`
 * per entry). Rolldown (already in the tree under Vite and the Sanity CLI) bundles each entry
 * with its local modules; every dependency and Node built-in stays an import, so consumers
 * dedupe them. `rolldown-plugin-dts` (tsdown's type bundler) writes the declarations, keeping
 * TypeGen's `@sanity/client` augmentation so `fetchTyped` and `client.fetch` stay typed.
 * README "Building the package" says why this and not tsdown, `@sanity/pkg-utils` or `tsc`.
 */
import {builtinModules} from 'node:module'

import {defineConfig, type Plugin} from 'rolldown'
import {dts} from 'rolldown-plugin-dts'

import manifest from './package.json' with {type: 'json'}

/** Public entry → source. Keep in step with `exports` in package.json (a test compares them). */
export const entries = {
  // Runtime-neutral: browsers, edge runtimes, Node 20+.
  index: './index.ts',
  queries: './entries/queries.ts',
  'portable-text': './queries/portable-text.ts',
  images: './queries/images.ts',
  client: './lib/client-config.ts',
  comments: './comments/index.ts',
  // Node only.
  importer: './importer/index.ts',
  lake: './lake/index.ts',
  server: './server/index.ts',
  // Studio (needs `sanity` and React).
  schemas: './schemas/index.ts',
  studio: './entries/studio.ts',
} as const

/**
 * Files the package loads itself and nobody imports: the lake's query worker, started by path
 * (`new Worker(new URL('./query-worker.js', import.meta.url))`) from whichever file holds the pool.
 */
export const internalEntries = {
  'query-worker': './lake/query-worker.ts',
} as const

export const outDir = 'pkg'

const runtimeDependencies = new Set([
  ...Object.keys(manifest.dependencies),
  ...Object.keys((manifest as {peerDependencies?: Record<string, string>}).peerDependencies ?? {}),
])
const builtins = new Set(builtinModules)
const SQLITE_GUARD = '\0film-review-sanity:node-sqlite'
/** node:sqlite's exports (Node 24); a lake import outside this list fails the build, by name. */
const SQLITE_EXPORTS = ['DatabaseSync', 'StatementSync', 'backup', 'constants'] as const

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageName(id: string): string {
  const parts = id.split('/')
  return (id.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/')
}

/**
 * Dependencies and built-ins stay imports; local files are bundled. A bare import of anything
 * else (a devDependency, a typo) fails the build instead of being inlined into the package.
 */
function external(id: string, importer: string | undefined): boolean {
  if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false
  // The guard below stands in for node:sqlite everywhere except inside itself.
  if (id === 'node:sqlite') return importer === SQLITE_GUARD
  if (id.startsWith('node:') || builtins.has(id)) return true
  if (runtimeDependencies.has(packageName(id))) return true
  throw new Error(
    `${importer ?? 'an entry'} imports "${id}", which is not in package.json "dependencies": ` +
      'add it there (npm install --save-exact) or stop importing it from library code.',
  )
}

/**
 * The lake stores data with `node:sqlite` (Node 22.13+, or 22.5+ with --experimental-sqlite).
 * A static import of a missing built-in fails at link time with "No such built-in module"; the
 * package instead loads it through this module, which says what needs which Node and what still
 * works (the runtime-neutral entries) before anything else of the lake runs.
 */
function nodeSqliteGuard(): Plugin {
  return {
    name: 'node-sqlite-guard',
    resolveId(id, importer) {
      if (id !== 'node:sqlite') return null
      return importer === SQLITE_GUARD ? {id, external: true} : SQLITE_GUARD
    },
    load(id) {
      if (id !== SQLITE_GUARD) return null
      return [
        'let sqlite',
        'try {',
        "  sqlite = await import('node:sqlite')",
        '} catch (cause) {',
        '  throw new Error(',
        "    'film-review-sanity: the local Content Lake (the /lake and /server entries) stores data with node:sqlite, ' +",
        "      'which Node.js has from 22.13 (22.5+ with --experimental-sqlite); this is Node ' + process.version + '. ' +",
        "      'Run it on Node 22.13+ or 24. The runtime-neutral entries (film-review-sanity, /queries, /portable-text, /client, /comments) work on Node 20.',",
        '    {cause},',
        '  )',
        '}',
        ...SQLITE_EXPORTS.map((name) => `export const ${name} = sqlite.${name}`),
      ].join('\n')
    },
  }
}

export default defineConfig({
  input: {...entries, ...internalEntries},
  platform: 'neutral',
  external,
  tsconfig: 'tsconfig.json',
  transform: {target: 'es2022'},
  // The declaration pass takes seconds by design; its timing notes are noise here.
  checks: {bundlerTimings: false},
  plugins: [nodeSqliteGuard(), dts({tsconfig: 'tsconfig.json', compilerOptions: {noEmit: false}})],
  output: {
    dir: outDir,
    format: 'esm',
    cleanDir: true,
    entryFileNames: '[name].js',
    // Chunks sit beside the entries so `./query-worker.js` resolves from the pool's chunk too.
    chunkFileNames: '[name]-[hash].js',
  },
})
