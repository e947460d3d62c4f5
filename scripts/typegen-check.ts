/**
 * Fails when the committed `sanity.types.ts` is stale: runs schema extraction
 * and Sanity TypeGen exactly as `npm run typegen` does (configured in
 * sanity.cli.ts), compares the result with what was there, and puts the
 * original back, so a check never rewrites the work tree.
 *
 *   npm run typegen:check        compare (part of `npm test`)
 *   npm run typegen              regenerate the committed file
 */
import {execFileSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

interface Options {
  /** The committed types file that TypeGen (re)writes. */
  typesFile: string
}

interface Deps {
  /** Regenerates `typesFile` in place. */
  generate: () => void
  readFile: (path: string) => string | undefined
  writeFile: (path: string, text: string) => void
  stdout: (line: string) => void
}

export function run(options: Options, deps: Deps): boolean {
  const committed = deps.readFile(options.typesFile)
  deps.generate()
  const fresh = deps.readFile(options.typesFile)
  if (committed === undefined) {
    deps.stdout(`${options.typesFile} was missing; it is generated now: commit it.`)
    return false
  }
  if (fresh !== committed) {
    deps.writeFile(options.typesFile, committed)
    deps.stdout(
      `${options.typesFile} is stale: the schema or the queries changed. Run \`npm run typegen\` and commit the result.`,
    )
    return false
  }
  deps.stdout(`${options.typesFile} is up to date.`)
  return true
}

const {values} = parseArgs({options: {help: {type: 'boolean', short: 'h'}}})
if (values.help) {
  console.log('Usage: npm run typegen:check\nFails when sanity.types.ts differs from freshly generated types.')
} else {
  const root = resolve(import.meta.dirname, '..')
  const sanity = (args: string[]) =>
    execFileSync(join(root, 'node_modules', '.bin', 'sanity'), args, {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {...process.env, SANITY_TELEMETRY_DISABLED: '1'},
    })
  const ok = run(
    {typesFile: join(root, 'sanity.types.ts')},
    {
      generate: () => {
        sanity(['schema', 'extract', '--enforce-required-fields', '--force', '--path', 'schema.json'])
        sanity(['typegen', 'generate'])
      },
      readFile: (path) => {
        try {
          return readFileSync(path, 'utf8')
        } catch {
          return undefined
        }
      },
      writeFile: (path, text) => writeFileSync(path, text),
      stdout: (line) => console.log(line),
    },
  )
  process.exitCode = ok ? 0 : 1
}
