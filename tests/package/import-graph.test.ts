/**
 * The frontend entries bundle for browsers and edge runtimes: walking each entry's real module
 * graph (Rolldown resolves every import, through node_modules, with the browser or worker export
 * conditions) finds no Node built-in, no Sanity Studio code and no React. Node-only entries may
 * use built-ins but stay free of Studio code. The lake and schemas entries are the controls that
 * show the walk does catch both kinds of import.
 */
import {isBuiltin} from 'node:module'
import {relative, resolve} from 'node:path'

import {rolldown} from 'rolldown'
import {describe, expect, it} from 'vitest'

import manifest from '../../package.json' with {type: 'json'}
import {entries, outDir, packageName} from '../../rolldown.config'
import {STUDIO_PACKAGES} from './support'

const ROOT = resolve(import.meta.dirname, '../..')

/** Entries a browser, an edge function or Node 20 may import. */
const FRONTEND_ENTRIES = ['index', 'queries', 'portable-text', 'images', 'client', 'comments'] as const
const NODE_ENTRIES = ['importer', 'lake', 'server'] as const
const STUDIO_ENTRIES = ['schemas', 'studio'] as const

type Target = 'browser' | 'edge' | 'node'

const CONDITIONS: Record<Target, string[]> = {
  browser: ['browser', 'import', 'module', 'default'],
  edge: ['worker', 'edge-light', 'import', 'module', 'default'],
  node: ['node', 'import', 'module', 'default'],
}

interface Edge {
  importer: string
  id: string
}

const rel = (path: string | undefined) => (path ? relative(ROOT, path.split('?')[0] ?? path) : '(entry)')

/** Bundles one entry in memory and reports every module in its graph and every forbidden import. */
async function walk(entry: keyof typeof entries, target: Target) {
  const builtins: Edge[] = []
  const studio: Edge[] = []
  const bundle = await rolldown({
    input: resolve(ROOT, entries[entry]),
    cwd: ROOT,
    tsconfig: resolve(ROOT, 'tsconfig.json'),
    platform: target === 'browser' ? 'browser' : target === 'edge' ? 'neutral' : 'node',
    resolve: {conditionNames: CONDITIONS[target], mainFields: ['module', 'main']},
    logLevel: 'silent',
    plugins: [
      {
        name: 'record-forbidden-imports',
        resolveId(id, importer) {
          if (isBuiltin(id)) {
            builtins.push({importer: rel(importer), id})
            return {id, external: true}
          }
          if (!id.startsWith('.') && !id.startsWith('/') && STUDIO_PACKAGES.has(packageName(id))) {
            studio.push({importer: rel(importer), id})
            return {id, external: true}
          }
          return null
        },
      },
    ],
  })
  try {
    const {output} = await bundle.generate({format: 'esm'})
    const modules = output.flatMap((file) => (file.type === 'chunk' ? file.moduleIds.map(rel) : []))
    return {modules, builtins, studio}
  } finally {
    await bundle.close()
  }
}

describe('the frontend entries import graph', () => {
  // Modules each walk must reach: proof that it followed the real graph into node_modules.
  const reaches: Record<(typeof FRONTEND_ENTRIES)[number], string[]> = {
    index: ['index.ts', 'queries/index.ts', 'queries/portable-text.ts', 'queries/images.ts', 'lib/client-config.ts', 'node_modules/zod/', 'node_modules/@portabletext/to-html/'],
    queries: ['queries/index.ts', 'queries/params.ts', 'queries/fetch.ts', 'node_modules/zod/'],
    'portable-text': ['queries/portable-text.ts', 'node_modules/@portabletext/toolkit/'],
    images: ['queries/images.ts', 'node_modules/@sanity/image-url/'],
    client: ['lib/client-config.ts', 'lib/constants.ts'],
    comments: ['comments/handler.ts', 'comments/validation.ts', 'node_modules/zod/'],
  }

  for (const target of ['browser', 'edge'] as const) {
    for (const entry of FRONTEND_ENTRIES) {
      it(`${entry} has no Node built-in, Studio or React import (${target})`, async () => {
        const graph = await walk(entry, target)
        for (const module of reaches[entry]) {
          expect(graph.modules.some((id) => id.startsWith(module)), `${module} in the graph`).toBe(true)
        }
        expect({builtins: graph.builtins, studio: graph.studio}).toEqual({builtins: [], studio: []})
      })
    }
  }

  it('catches a Node built-in: the lake entry reaches node:sqlite and node:fs', async () => {
    const graph = await walk('lake', 'node')
    expect(graph.builtins).toContainEqual({importer: 'lake/sqlite.ts', id: 'node:sqlite'})
    expect(graph.builtins).toContainEqual({importer: 'lake/store.ts', id: 'node:fs'})
  })

  it('catches Studio code: the schemas entry reaches sanity and @sanity/icons', async () => {
    const graph = await walk('schemas', 'browser')
    expect(graph.studio.map((edge) => edge.id)).toContain('sanity')
    expect(graph.studio.some((edge) => edge.id.startsWith('@sanity/icons/'))).toBe(true)
  })

  for (const entry of NODE_ENTRIES) {
    it(`the Node-only ${entry} entry loads no Studio or React code`, async () => {
      const graph = await walk(entry, 'node')
      expect(graph.modules.length).toBeGreaterThan(3)
      expect(graph.studio).toEqual([])
    })
  }
})

describe('package.json', () => {
  it('maps every built entry to its types and ESM file, and nothing else', () => {
    const expected: Record<string, unknown> = {}
    for (const name of Object.keys(entries)) {
      expected[name === 'index' ? '.' : `./${name}`] = {types: `./${outDir}/${name}.d.ts`, import: `./${outDir}/${name}.js`}
    }
    expected['./package.json'] = './package.json'
    expect(manifest.exports).toEqual(expected)
    expect(Object.keys(entries).sort()).toEqual([...FRONTEND_ENTRIES, ...NODE_ENTRIES, ...STUDIO_ENTRIES].sort())
    expect(manifest.files).toEqual([outDir])
    expect(manifest.scripts.prepack).toBe('npm run build:package 1>&2')
  })
})
