/**
 * Browser tests and `.ci/run` find Chromium the same way: CHROMIUM_PATH, then chromium,
 * chromium-browser, google-chrome on PATH. Both resolvers run on the same fixture folders.
 */
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join, resolve} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {findChromium} from '../helpers/chromium'

const FIND_CHROMIUM = resolve(import.meta.dirname, '../../.ci/find-chromium')
const BASH = ['/bin/bash', '/usr/bin/bash'].find((path) => spawnSync(path, ['-c', 'true']).status === 0) ?? 'bash'

let root: string

function bin(dir: string, name: string, executable = true): string {
  const folder = join(root, dir)
  mkdirSync(folder, {recursive: true})
  const path = join(folder, name)
  writeFileSync(path, '#!/bin/sh\necho fake chromium\n')
  chmodSync(path, executable ? 0o755 : 0o644)
  return path
}

const pathOf = (...dirs: string[]) => dirs.map((dir) => join(root, dir)).join(delimiter)

/** What `.ci/find-chromium` answers for the same environment. */
function ciLookup(env: Record<string, string>): {path: string} | {failed: true} {
  const result = spawnSync(BASH, [FIND_CHROMIUM], {env, encoding: 'utf8'})
  return result.status === 0 ? {path: result.stdout.trim()} : {failed: true}
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'find-chromium-'))
})

afterAll(() => rmSync(root, {recursive: true, force: true}))

describe('finding Chromium', () => {
  it('takes CHROMIUM_PATH first, even when a chromium is on PATH', () => {
    const configured = bin('configured', 'my-chrome')
    bin('a', 'chromium')
    const env = {CHROMIUM_PATH: configured, PATH: pathOf('a')}
    expect(findChromium(env)).toEqual({path: configured})
    expect(ciLookup(env)).toEqual({path: configured})
  })

  it('fails with the install instruction when CHROMIUM_PATH names no executable file', () => {
    const missing = join(root, 'nowhere/chromium')
    bin('b', 'chromium')
    const env = {CHROMIUM_PATH: missing, PATH: pathOf('b')}
    const found = findChromium(env)
    expect(found).toEqual({error: expect.stringContaining(`CHROMIUM_PATH is set to ${missing}`)})
    expect(found).toEqual({error: expect.stringContaining('apt-get install -y chromium')})
    expect(ciLookup(env)).toEqual({failed: true})
  })

  it('prefers chromium, then chromium-browser, then google-chrome, whatever the PATH order', () => {
    bin('c1', 'google-chrome')
    const browser = bin('c2', 'chromium-browser')
    const env = {PATH: pathOf('c1', 'c2')}
    expect(findChromium(env)).toEqual({path: browser})
    expect(ciLookup(env)).toEqual({path: browser})

    const chromium = bin('c3', 'chromium')
    const withChromium = {PATH: pathOf('c1', 'c2', 'c3')}
    expect(findChromium(withChromium)).toEqual({path: chromium})
    expect(ciLookup(withChromium)).toEqual({path: chromium})
  })

  it('takes the first PATH folder holding an executable of that name', () => {
    bin('d1', 'chromium', false)
    const second = bin('d2', 'chromium')
    const env = {PATH: pathOf('d1', 'd2')}
    expect(findChromium(env)).toEqual({path: second})
    expect(ciLookup(env)).toEqual({path: second})
  })

  it('fails with the install instruction when none is found', () => {
    mkdirSync(join(root, 'empty'), {recursive: true})
    const env = {PATH: pathOf('empty')}
    const found = findChromium(env)
    expect(found).toEqual({
      error:
        'No Chromium found: CHROMIUM_PATH is unset and none of chromium, chromium-browser, google-chrome is on PATH. ' +
        'Install Chromium with "sudo apt-get install -y chromium" (Debian/Ubuntu; .ci/run does this in CI), ' +
        'or set CHROMIUM_PATH to a Chromium or Chrome binary. The browser tests never download one.',
    })
    expect(ciLookup(env)).toEqual({failed: true})
  })
})
