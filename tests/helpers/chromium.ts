/**
 * The one place browser tests find Chromium, the way people have it installed: `CHROMIUM_PATH`,
 * then `chromium`, `chromium-browser`, `google-chrome` on `PATH`. `.ci/find-chromium` resolves
 * in the same order (tests/package/chromium.test.ts runs both on the same fixtures). Browsers
 * are never downloaded, and a missing one fails the tests with the install instruction.
 */
import {accessSync, constants, statSync} from 'node:fs'
import {delimiter, join} from 'node:path'

export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome'] as const

export const CHROMIUM_INSTALL_HINT =
  'Install Chromium with "sudo apt-get install -y chromium" (Debian/Ubuntu; .ci/run does this in CI), ' +
  'or set CHROMIUM_PATH to a Chromium or Chrome binary. The browser tests never download one.'

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

export type ChromiumLookup = {path: string} | {error: string}

export function findChromium(env: Readonly<Record<string, string | undefined>> = process.env): ChromiumLookup {
  const configured = env.CHROMIUM_PATH
  if (configured) {
    return isExecutableFile(configured)
      ? {path: configured}
      : {error: `CHROMIUM_PATH is set to ${configured}, which is not an executable file. ${CHROMIUM_INSTALL_HINT}`}
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      const path = join(dir, name)
      if (isExecutableFile(path)) return {path}
    }
  }
  return {error: `No Chromium found: CHROMIUM_PATH is unset and none of ${CHROMIUM_NAMES.join(', ')} is on PATH. ${CHROMIUM_INSTALL_HINT}`}
}

/** The Chromium binary for `executablePath`; throws the install instruction when there is none. */
export function chromiumPath(): string {
  const found = findChromium()
  if ('error' in found) throw new Error(found.error)
  return found.path
}
