import {type ChildProcess, spawn} from 'node:child_process'
import {rmSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {LakeStore} from '../../lake'
import {startTestLake, tempDir} from './helpers'

const fixture = fileURLToPath(new URL('../fixtures/lake-import-child.ts', import.meta.url))
const root = fileURLToPath(new URL('../..', import.meta.url))

function runChild(dir: string, mode: 'complete' | 'pause'): {child: ChildProcess; lines: string[]; exited: Promise<{code: number | null; signal: string | null}>; waitForLine(prefix: string): Promise<string>} {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir, mode], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
  const lines: string[] = []
  const waiters: {prefix: string; resolve: (line: string) => void}[] = []
  let buffer = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk
    let newline: number
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + 1)
      lines.push(line)
      for (const waiter of waiters.filter((w) => line.startsWith(w.prefix))) waiter.resolve(line)
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<{code: number | null; signal: string | null}>((resolve) => {
    child.on('exit', (code, signal) => resolve({code, signal}))
  })
  const waitForLine = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((line) => line.startsWith(prefix))
      if (found) return resolve(found)
      waiters.push({prefix, resolve})
      void exited.then(({code, signal}) => reject(new Error(`child exited (${code ?? signal}) before "${prefix}": ${stderr}`)))
    })
  return {child, lines, exited, waitForLine}
}

describe('durability', () => {
  it('stores all 20,000 documents of a completed one-transaction import', {timeout: 30_000}, async () => {
    const dir = tempDir()
    try {
      const run = runChild(dir, 'complete')
      const {code} = await run.exited
      expect(code).toBe(0)
      expect(run.lines).toEqual(['seeded', 'committed'])
      const store = new LakeStore(dir)
      try {
        const dataset = store.dataset('test')
        expect(dataset.size).toBe(20_003)
        expect(await dataset.query('count(*[_type == "bulk"])')).toBe(20_000)
      } finally {
        store.close()
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('keeps none of a transaction killed with SIGKILL mid-way and restarts on the same data', {timeout: 30_000}, async () => {
    const dir = tempDir()
    try {
      const run = runChild(dir, 'pause')
      await run.waitForLine('seeded')
      const line = await run.waitForLine('in-transaction')
      // The child is blocked inside the open SQLite transaction with half the rows written.
      expect(Number(line.split(' ')[1])).toBeGreaterThanOrEqual(10_000)
      run.child.kill('SIGKILL')
      const {signal} = await run.exited
      expect(signal).toBe('SIGKILL')
      expect(run.lines).not.toContain('committed')

      const t = await startTestLake({dir})
      try {
        expect(await t.client.fetch('count(*[_type == "bulk"])')).toBe(0)
        expect(await t.client.fetch('*[_type == "seed"].n')).toEqual([1, 2, 3])
        // And the restarted lake takes writes again.
        await t.client.create({_id: 'after-crash', _type: 'seed', n: 4})
        expect(await t.client.fetch('count(*)')).toBe(4)
      } finally {
        await t.stop({keepDir: true})
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
