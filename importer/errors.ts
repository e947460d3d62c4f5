/**
 * A problem in the input that the importer refuses to guess around. It names the
 * file and line so the message reads like a compiler error an editor can jump to.
 */
export class ImportError extends Error {
  override readonly name = 'ImportError'
  readonly fileName: string
  readonly line: number | undefined
  readonly problem: string

  constructor(problem: string, options: {fileName?: string; line?: number} = {}) {
    const fileName = options.fileName ?? '<input>'
    super(options.line === undefined ? `${fileName}: ${problem}` : `${fileName}:${options.line}: ${problem}`)
    this.fileName = fileName
    this.line = options.line
    this.problem = problem
  }
}
