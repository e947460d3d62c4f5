// Writes the bundle's module graph (every module of every chunk) to dist/graph.json.
import {writeFileSync} from 'node:fs'

import {defineConfig} from 'vite'

export default defineConfig({
  logLevel: 'warn',
  build: {emptyOutDir: true, reportCompressedSize: false},
  plugins: [
    {
      name: 'write-module-graph',
      writeBundle(options, bundle) {
        const chunks = Object.values(bundle).filter((file) => file.type === 'chunk')
        const graph = chunks.map((chunk) => ({fileName: chunk.fileName, moduleIds: chunk.moduleIds}))
        writeFileSync(`${options.dir}/graph.json`, JSON.stringify(graph, null, 2))
      },
    },
  ],
})
