import {chmodSync, existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {LakeError} from '../lake'

/**
 * What the Studio keeps per user on the server (`/users/me/keyvalue`): Vision's saved queries
 * and its last query, the Releases tool's time zone, announcements seen, and whatever else a
 * tool stores through the Studio's server-side key-value store. Kept in one private JSON file
 * in the data folder (`studio-settings.json`, mode 0600), written atomically on every change,
 * so settings survive restarts.
 */

export const SETTINGS_FILE = 'studio-settings.json'
/** Longest key accepted. */
const MAX_KEY_LENGTH = 256
/** Largest value accepted (JSON), per key. */
export const MAX_SETTING_BYTES = 256 * 1024
/** Largest settings file: past it, new keys are refused (existing ones can still change). */
const MAX_TOTAL_BYTES = 16 * 1024 * 1024

type UserValues = Record<string, unknown>

export class UserSettings {
  readonly path: string
  #users: Record<string, UserValues>

  constructor(dir: string) {
    this.path = join(dir, SETTINGS_FILE)
    this.#users = readSettings(this.path)
  }

  get(userId: string, key: string): unknown {
    return this.#users[userId]?.[key] ?? null
  }

  /** Stores the pairs (null removes a key) and writes the file before answering. */
  set(userId: string, pairs: readonly {key: string; value: unknown}[]): void {
    const next: Record<string, UserValues> = {...this.#users, [userId]: {...this.#users[userId]}}
    const values = next[userId] ?? {}
    for (const {key, value} of pairs) {
      if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new LakeError(400, 'invalidRequest', `A setting's key must be 1-${MAX_KEY_LENGTH} characters`)
      const size = Buffer.byteLength(JSON.stringify(value) ?? 'null')
      if (size > MAX_SETTING_BYTES) throw new LakeError(413, 'payloadTooLarge', `The value of setting "${key.slice(0, 80)}" is ${size} bytes; at most ${MAX_SETTING_BYTES} are kept per key`)
      if (value === null) delete values[key]
      else values[key] = value
    }
    next[userId] = values
    const text = JSON.stringify(next)
    if (Buffer.byteLength(text) > MAX_TOTAL_BYTES && pairs.some(({key}) => !(key in (this.#users[userId] ?? {})))) {
      throw new LakeError(413, 'payloadTooLarge', `The Studio settings file would be larger than ${MAX_TOTAL_BYTES} bytes; remove some saved queries first`)
    }
    writePrivate(this.path, text)
    this.#users = next
  }
}

function readSettings(path: string): Record<string, UserValues> {
  if (!existsSync(path)) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new Error(`${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}); fix or delete it (it holds the Studio's per-user settings, such as Vision's saved queries)`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path} must hold a JSON object of users' settings; fix or delete it`)
  return parsed as Record<string, UserValues>
}

function writePrivate(path: string, text: string): void {
  const temp = `${path}.${process.pid}.tmp`
  writeFileSync(temp, text, {mode: 0o600, flush: true})
  chmodSync(temp, 0o600)
  renameSync(temp, path)
}
