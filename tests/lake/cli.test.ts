import {spawn} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {tempDir} from './helpers'

const root = fileURLToPath(new URL('../..', import.meta.url))

function runLakeScript(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/lake.ts', ...args], {
    cwd: root,
    env: {...process.env, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return {child, exited, output: () => ({stdout, stderr})}
}

describe('npm run lake', () => {
  it('prints the listening line, serves queries and closes cleanly on SIGTERM', {timeout: 20_000}, async () => {
    const dir = tempDir()
    try {
      const run = runLakeScript(['--port', '0', '--dir', dir], {SANITY_API_WRITE_TOKEN: ''})
      let match: RegExpExecArray | null = null
      while (!(match = /^lake listening on (http:\/\/127\.0\.0\.1:(\d+))$/m.exec(run.output().stdout))) {
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
      expect(run.output().stdout).toContain(`lake token file: ${dir}/token`)
      const url = `${match[1]}/v2025-02-19/data/query/production?query=count(*)`
      // An anonymous read never creates a dataset; the token holder's read does.
      expect((await fetch(url)).status).toBe(404)
      const token = readFileSync(join(dir, 'token'), 'utf8').trim()
      const response = await fetch(url, {headers: {Authorization: `Bearer ${token}`}})
      expect(await response.json()).toMatchObject({result: 0})
      run.child.kill('SIGTERM')
      expect(await run.exited).toBe(0)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('takes --query-timeout and refuses a value that is not a number of milliseconds', {timeout: 20_000}, async () => {
    const run = runLakeScript(['--query-timeout', 'soon'])
    expect(await run.exited).toBe(2)
    expect(run.output().stderr).toContain('--query-timeout must be a whole number from 10 to 3600000, not "soon"')
    expect(run.output().stderr).toContain('--query-timeout <ms>')
  })

  it('rejects unknown flags with the usage text', {timeout: 20_000}, async () => {
    const run = runLakeScript(['--prot', '3000'])
    expect(await run.exited).toBe(2)
    expect(run.output().stderr).toContain("Unknown option '--prot'")
    expect(run.output().stderr).toContain('Usage: npm run lake -- [options]')
  })
})
