/**
 * The process side of a command-line script: parse the arguments, print help or the argument
 * error (exit 2), otherwise run and exit with its code. Runs only when the file is the entry point.
 */
import {resolve} from 'node:path'
import {pathToFileURL} from 'node:url'

export type CliArgs<O> = {kind: 'help'} | {kind: 'run'; options: O} | {kind: 'error'; message: string}

export interface Cli<O> {
  usage: string
  parse(argv: readonly string[]): CliArgs<O>
  run(options: O): Promise<number>
}

/** Runs `cli` with the process arguments when `moduleUrl` (pass `import.meta.url`) is the script node was started with. */
export function runIfEntry<O>(moduleUrl: string, cli: Cli<O>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(resolve(process.argv[1])).href) return
  const args = cli.parse(process.argv.slice(2))
  const exit = (async () => {
    if (args.kind === 'help') {
      process.stdout.write(cli.usage)
      return 0
    }
    if (args.kind === 'error') {
      process.stderr.write(`error: ${args.message}\n\n${cli.usage}`)
      return 2
    }
    return cli.run(args.options)
  })()
  exit.then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exitCode = 1
    },
  )
}

/** A command-line mistake: the entry prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/**
 * A whole-number option (`--port 3434`) within `min`..`max`, undefined when not given; one wording
 * for every script: `--port must be a whole number from 0 to 65535, not "x"`.
 */
export function wholeNumberOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (value.trim() === '' || !Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`)
  }
  return number
}
