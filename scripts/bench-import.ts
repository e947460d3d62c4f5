/**
 * `npm run bench:import` — imports generated reviews (default 1,000) into a fresh local
 * lake with the folder import (`npm run seed -- --dir`), one transaction per review, and
 * prints how long it took next to the target (≤ 30 s). Then it imports the same folder
 * again (everything unchanged) and writes it as NDJSON, for comparison.
 *
 *   npm run bench:import -- [--reviews 1000] [--target 30]
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

import {defaultSeedDeps, runSeed, type SeedDeps} from '../importer/command'
import {syntheticReviews} from '../importer/synthetic'
import {startLake} from '../lake'

const {values} = parseArgs({
  options: {
    reviews: {type: 'string', default: '1000'},
    target: {type: 'string', default: '30'},
    help: {type: 'boolean', short: 'h', default: false},
  },
})
if (values.help) {
  console.log('Usage: npm run bench:import -- [--reviews 1000] [--target 30]')
  process.exit(0)
}
const count = Number(values.reviews)
const targetSeconds = Number(values.target)
if (!Number.isInteger(count) || count < 1 || !(targetSeconds > 0)) {
  console.error('error: --reviews must be a whole number ≥ 1 and --target a number of seconds > 0')
  process.exit(2)
}

const root = mkdtempSync(join(tmpdir(), 'bench-import-'))
const folder = join(root, 'reviews')
const lake = await startLake({port: 0, dir: join(root, 'lake'), token: 'bench-token'})
try {
  mkdirSync(folder)
  for (const review of syntheticReviews(count)) writeFileSync(join(folder, review.name), review.text)
  console.log(`Generated ${count} reviews in ${folder}; lake at ${lake.url} (data in ${join(root, 'lake')})`)

  /** The seed command with its output kept, except the summary line. */
  const quiet = (): {deps: SeedDeps; summary: () => string} => {
    let summary = ''
    const base = defaultSeedDeps()
    const keep = (text: string) => {
      if (text.startsWith('Summary:') || text.startsWith('Wrote')) summary += text
    }
    return {
      deps: {
        ...base,
        target: () => ({kind: 'lake', projectId: 'local', dataset: 'bench', token: lake.token, apiHost: lake.url}),
        stdout: keep,
        stderr: (text) => process.stderr.write(text),
      },
      summary: () => summary.trim(),
    }
  }

  const timed = async (label: string, options: Parameters<typeof runSeed>[0]) => {
    const run = quiet()
    const started = performance.now()
    const code = await runSeed(options, run.deps)
    const seconds = (performance.now() - started) / 1000
    console.log(`${label}: ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)} reviews/s), exit ${code}\n  ${run.summary().split('\n').join('\n  ')}`)
    return {seconds, code}
  }

  const first = await timed(`Import ${count} reviews into the empty lake`, {dir: folder, dryRun: false})
  await timed('Import them again (all unchanged)', {dir: folder, dryRun: false})
  await timed('Write them as NDJSON (--out, no lake)', {dir: folder, out: join(root, 'all.ndjson'), dryRun: false})

  const verdict = first.code === 0 && first.seconds <= targetSeconds ? 'within' : 'OVER'
  console.log(`\n${count} reviews imported in ${first.seconds.toFixed(1)} s: ${verdict} the target of ${targetSeconds} s.`)
  if (verdict === 'OVER') process.exitCode = 1
} finally {
  await lake.close()
  rmSync(root, {recursive: true, force: true})
}
