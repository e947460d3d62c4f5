import {SingleBar} from 'cli-progress'

/** How one file of a folder import went. */
export type FileOutcome =
  | {fileName: string; ok: true; documents: number; summary: string}
  | {fileName: string; ok: false; error: string}

/** Shows a folder import as it goes. */
export interface ProgressReporter {
  file(outcome: FileOutcome): void
  /** Further output (plan lines, notes): printed at once, or after the bar on a terminal. */
  note(text: string): void
  /** Called once at the end, before the summary is printed. */
  done(): void
}

/** One line per file: for CI logs and pipes, where a redrawn bar would be noise. */
export function lineProgress(output: {stdout(text: string): void; stderr(text: string): void}): ProgressReporter {
  return {
    file(outcome) {
      if (outcome.ok) output.stdout(`${outcome.fileName}: ${outcome.summary}\n`)
      else output.stderr(`error: ${outcome.error}\n`)
    },
    note(text) {
      output.stdout(text)
    },
    done() {},
  }
}

/** What a terminal stream offers; `process.stdout` on a TTY. */
export type TerminalStream = NodeJS.WritableStream & {isTTY?: boolean; columns?: number}

/**
 * A bar redrawn in place on a terminal: files done of all, documents written, elapsed
 * time and rate. Failures and notes are collected and printed once the bar is finished,
 * so they do not tear the bar apart.
 */
export function barProgress(
  stream: TerminalStream,
  totalFiles: number,
  output: {stdout(text: string): void; stderr(text: string): void},
  now: () => number = () => Date.now(),
): ProgressReporter {
  const started = now()
  let files = 0
  let documents = 0
  const failures: string[] = []
  const notes: string[] = []
  const bar = new SingleBar({
    stream,
    format: '{bar} {value}/{total} files | {documents} documents | {elapsed} s | {rate} files/s | {failed} failed',
    barsize: 30,
    hideCursor: true,
    // Redraw at most 10 times a second whatever the file rate.
    fps: 10,
  })
  const payload = () => {
    const seconds = (now() - started) / 1000
    return {
      documents,
      elapsed: seconds.toFixed(1),
      rate: seconds > 0 ? (files / seconds).toFixed(1) : '0.0',
      failed: failures.length,
    }
  }
  bar.start(totalFiles, 0, payload())
  return {
    file(outcome) {
      files++
      if (outcome.ok) documents += outcome.documents
      else failures.push(outcome.error)
      bar.update(files, payload())
    },
    note(text) {
      notes.push(text)
    },
    done() {
      bar.update(files, payload())
      bar.stop()
      for (const note of notes) output.stdout(note)
      for (const failure of failures) output.stderr(`error: ${failure}\n`)
    },
  }
}
