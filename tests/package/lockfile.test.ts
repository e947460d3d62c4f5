/**
 * package-lock.json stays in step with package.json, offline and in a few seconds:
 * - `npm ci --dry-run` (what CI and deploy pipelines run, without installing) refuses a lock that
 *   lacks a package, including another platform's optional native binding, which npm drops when
 *   it rewrites the lock on top of an existing node_modules;
 * - the lock's root entry must repeat package.json's dependency lists and `engines` exactly, as
 *   npm writes them: drift there is something `npm ci` tolerates but the next `npm install`
 *   rewrites. (`npm install --package-lock-only` would say the same, but it needs registry
 *   metadata that a fresh machine's npm cache does not hold.)
 * `.ci/run` also runs the real `npm ci` before anything else.
 */
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {isDeepStrictEqual} from 'node:util'

import {afterAll, describe, expect, it} from 'vitest'

import {childEnv} from './support'

const ROOT = resolve(import.meta.dirname, '../..')
const FLAGS = ['--offline', '--ignore-scripts', '--no-audit', '--no-fund']
/** The package.json fields npm copies into the lock's root entry. */
const ROOT_FIELDS = ['name', 'version', 'license', 'dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines'] as const
const scratch: string[] = []

type Manifest = Record<string, Record<string, string>>
type Lock = {packages: Record<string, {version?: string}>}

function npm(cwd: string, args: string[]) {
  const result = spawnSync('npm', [...args, ...FLAGS], {cwd, env: childEnv(), encoding: 'utf8'})
  return {status: result.status, output: `${result.stdout}${result.stderr}`}
}

/** A scratch folder with package.json and package-lock.json from `dir`, each changed as given. */
function copyOf(dir: string, change: {manifest?: (json: Manifest) => void; lock?: (json: Lock) => void} = {}): string {
  const copy = mkdtempSync(join(tmpdir(), 'lockfile-'))
  scratch.push(copy)
  for (const [file, edit] of [
    ['package.json', change.manifest],
    ['package-lock.json', change.lock],
  ] as const) {
    if (!edit) {
      copyFileSync(join(dir, file), join(copy, file))
      continue
    }
    const json: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    ;(edit as (value: unknown) => void)(json)
    writeFileSync(join(copy, file), `${JSON.stringify(json, null, 2)}\n`)
  }
  return copy
}

/** What is wrong with the lock in `dir`: empty when `npm ci` takes it and its root entry matches. */
function lockfileProblems(dir: string): string[] {
  const ci = npm(dir, ['ci', '--dry-run'])
  if (ci.status !== 0) {
    const missing = [...ci.output.matchAll(/Missing: (\S+) from lock file/g)].map((match) => `npm ci: missing ${match[1]}`)
    return missing.length ? missing : [`npm ci failed: ${ci.output.trim()}`]
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
  const root = (JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {packages: Record<string, Record<string, unknown>>}).packages['']
  return ROOT_FIELDS.filter((field) => !isDeepStrictEqual(manifest[field], root?.[field])).map(
    (field) => `package-lock.json does not record package.json "${field}": run npm install and commit package-lock.json`,
  )
}

afterAll(() => {
  for (const dir of scratch) rmSync(dir, {recursive: true, force: true})
})

describe('package-lock.json', () => {
  it('is in step with package.json: npm ci takes it and its root entry repeats package.json', () => {
    expect(lockfileProblems(ROOT)).toEqual([])
  })

  it("catches a lock that lost another platform's native binding", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock
    const binding = 'node_modules/@rolldown/binding-darwin-arm64'
    const version = lock.packages[binding]?.version
    expect(version, 'the lock holds rolldown bindings for every platform').toBeDefined()
    const dir = copyOf(ROOT, {lock: (json) => void delete json.packages[binding]})
    // npm names the version when it knows it from its cache and leaves it out otherwise.
    const problems = lockfileProblems(dir)
    expect(problems).toHaveLength(1)
    expect([`npm ci: missing @rolldown/binding-darwin-arm64@${version}`, 'npm ci: missing @rolldown/binding-darwin-arm64@']).toContain(problems[0])
  })

  it('catches package.json changes the lock does not record, even ones npm ci tolerates', () => {
    const semver = (JSON.parse(readFileSync(join(ROOT, 'node_modules/semver/package.json'), 'utf8')) as {version: string}).version
    const dir = copyOf(ROOT, {
      manifest: (json) => {
        json.engines = {node: '>=18'}
        // Already in the tree at that version, so npm ci finds nothing missing.
        json.devDependencies = {...json.devDependencies, semver}
      },
    })
    expect(lockfileProblems(dir)).toEqual([
      'package-lock.json does not record package.json "devDependencies": run npm install and commit package-lock.json',
      'package-lock.json does not record package.json "engines": run npm install and commit package-lock.json',
    ])
  })
})
