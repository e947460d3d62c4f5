/**
 * Builds the Studio with `sanity build` for the local server, skipping the build when the
 * sources it depends on are unchanged since the last one (a hash kept in the output folder).
 */
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join, relative, resolve} from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')

/** What a Studio build depends on. */
const BUILD_INPUTS = [
  'sanity.config.ts',
  'sanity.cli.ts',
  'package-lock.json',
  'schemas',
  'studio',
  'lib',
  // Browser-safe comment modules the schema and the Approve/Reject actions import.
  'comments/ids.ts',
  'comments/moderation.ts',
]

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return []
  if (statSync(path).isFile()) return [path]
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)))
}

function sourceHash(): string {
  const hash = createHash('sha256')
  for (const input of BUILD_INPUTS) {
    for (const file of filesUnder(join(ROOT, input))) {
      hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0')
    }
  }
  return hash.digest('hex')
}

/** Builds the Studio into `outDir` unless a build of the same sources is already there. */
export async function ensureStudioBuild(
  outDir: string,
  log: (line: string) => void = () => {},
): Promise<{built: boolean}> {
  const stamp = join(outDir, '.source-hash')
  const wanted = sourceHash()
  if (
    existsSync(join(outDir, 'index.html')) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === wanted
  )
    return {built: false}
  log(`building the Studio into ${relative(ROOT, outDir) || outDir} (sanity build)…`)
  // The Studio must target the local lake: no hosted project settings leak into the bundle.
  const env: NodeJS.ProcessEnv = {...process.env, SANITY_TELEMETRY_DISABLED: '1'}
  for (const name of [
    'SANITY_STUDIO_PROJECT_ID',
    'SANITY_STUDIO_DATASET',
    'SANITY_STUDIO_API_HOST',
  ])
    delete env[name]
  const output: string[] = []
  const code = await new Promise<number | null>((resolveExit, reject) => {
    const child = spawn(join(ROOT, 'node_modules/.bin/sanity'), ['build', outDir, '--yes'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()))
    child.on('error', reject)
    child.on('close', resolveExit)
  })
  if (code !== 0) throw new Error(`sanity build failed (exit ${code}):\n${output.join('')}`)
  writeFileSync(stamp, wanted)
  return {built: true}
}
