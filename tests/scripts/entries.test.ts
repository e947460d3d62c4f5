/**
 * `scripts/` is a thin layer of command-line entries: they import libraries, and no library, test
 * or other script imports them (tests that need a command run it as a process, or call the library
 * the entry wraps). A script that is imported ends up holding library code that drifts.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'

import {describe, expect, it} from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const SKIP = new Set(['node_modules', 'pkg', 'dist', '.git', '.lake', 'consumer-app'])

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    if (entry.name.startsWith('.') || SKIP.has(entry.name)) return []
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(?:ts|tsx|mts|js|mjs)$/.test(entry.name) ? [path] : []
  })
}

/** Every module specifier of static imports, re-exports and dynamic imports in a file. */
function specifiers(text: string): string[] {
  const found: string[] = []
  for (const match of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s*['"]([^'"]+)['"]/gm)) {
    const specifier = match[1] ?? match[2] ?? match[3]
    if (specifier) found.push(specifier)
  }
  return found
}

describe('the scripts folder', () => {
  it('finds the imports it looks for (a check that finds nothing proves nothing)', () => {
    expect(specifiers(`import {a} from '../scripts/x'\nexport {b} from "./y"\nconst c = await import('../../scripts/z')\nimport './side-effect'`)).toEqual([
      '../scripts/x',
      './y',
      '../../scripts/z',
      './side-effect',
    ])
  })

  it('is imported by nothing: no library, test or other script imports a file in scripts/', () => {
    const scripts = resolve(ROOT, 'scripts')
    // This file's own sample imports are not imports.
    const files = sourceFiles(ROOT).filter((file) => file !== import.meta.filename)
    expect(files.length).toBeGreaterThan(100)
    const offenders = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8'))
        .filter((specifier) => specifier.startsWith('.') && resolve(dirname(file), specifier).startsWith(`${scripts}/`))
        .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
    )
    expect(offenders).toEqual([])
  })
})
