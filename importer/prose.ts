/**
 * What the importer reads from the review's own prose: credit phrases such as
 * "Samantha (voiced by Scarlet Johansson)" and spoiler warnings. These only add
 * facts (a character name, a spoiler flag); they never decide where a line goes.
 */

/** A `<Character> (... portrayed by / played by / voiced by <Actor>)` phrase. */
export interface TextCredit {
  actor: string
  characterName?: string
  isVoice: boolean
  line: number
}

export interface ProseOptions {
  /** Names known from the details lines and the facts: recognised in any case or script. */
  knownNames?: readonly string[]
  /** Capitalised words that open sentences and are never part of a character's name. */
  notNames?: readonly string[]
  /** Further phrases (matched ignoring case) by which authors warn of spoilers. */
  spoilerPhrases?: readonly string[]
}

const SPOILER_WARNINGS = [
  /\b(?:beware of|contains?|containing|includes?|including|warning:?|major|minor|mild|heavy|some|possible|massive|full of)\s+spoilers?\b/i,
  /\bspoilers?\s*(?:ahead|alert|warning|below|follow|inside|included)\b/i,
  /\bspoiler\s*(?:alert|warning)\b/i,
  /^\(?\s*spoilers?\s*[!:)]/i,
]

/** True when the author warns of spoilers ("beware of spoilers", "spoilers ahead", or a phrase given). */
export function warnsOfSpoilers(paragraphs: readonly string[], phrases: readonly string[] = []): boolean {
  const extra = phrases.map((phrase) => phrase.toLowerCase())
  return paragraphs.some((text) => {
    const lower = text.toLowerCase()
    return SPOILER_WARNINGS.some((pattern) => pattern.test(text)) || extra.some((phrase) => lower.includes(phrase))
  })
}

// "(magically portrayed by Joaquin Phoenix)", "(voiced by Scarlet Johansson)".
const CREDIT_PHRASE = /\(([^()]*?)\b(portrayed|played|voiced)\s+by\s+([^()]+?)\s*\)/giu
// A capitalised word, or a run of letters from a script without case (是枝裕和, サマンサ).
const NAME_WORD = String.raw`(?:\p{Lu}[\p{L}\p{M}'’.-]*|[\p{Lo}\p{M}]+)`
const NAME_WORD_ALONE = new RegExp(`^${NAME_WORD}$`, 'u')
const NAME_PARTICLES = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'da', 'di', 'du', 'la', 'le', 'bin', 'al', 'ter', 'ten', 'y'])
// Sentence openers that are capitalised but are not part of a character's name.
const NOT_NAME_WORDS = ['And', 'But', 'Then', 'When', 'While', 'As', 'So', 'Later', 'Meanwhile', 'Also', 'Finally', 'Here', 'There', 'Now', 'Soon', 'Enter', 'Meet', 'Even', 'Only']

/** "Scarlet Johansson", "Hoyte van Hoytema", "是枝裕和"; not "the wonderful Amy Adams". */
function looksLikePersonName(text: string, known: ReadonlySet<string>): boolean {
  if (known.has(text.normalize('NFC').toLowerCase())) return true
  const words = text.split(/\s+/)
  return (
    words.length >= 1 &&
    words.length <= 5 &&
    NAME_WORD_ALONE.test(words[0]!) &&
    words.every((word) => NAME_WORD_ALONE.test(word) || NAME_PARTICLES.has(word))
  )
}

function characterBefore(before: string, notNames: ReadonlySet<string>): string | undefined {
  const trimLeading = (words: string[]) => {
    while (words.length > 0 && notNames.has(words[0]!)) words.shift()
    return words.length > 0 ? words.join(' ') : undefined
  }
  // "Theodore Twombly (", "one: Amy (": the capitalised words right before.
  const direct = new RegExp(`(?:^|[^\\p{L}\\p{M}'’.-])((?:${NAME_WORD}\\s+)*${NAME_WORD})\\s*$`, 'u').exec(before)
  if (direct) return trimLeading(direct[1]!.split(/\s+/))
  // "Catherine, his ex-wife (": a name followed by a short appositive.
  const appositive = new RegExp(
    `(?:^|[^\\p{L}\\p{M}'’.-])((?:${NAME_WORD}\\s+)*${NAME_WORD}),\\s+(?:his|her|their|its|our|my|the|a|an)\\s+[^,;:.!?()]{1,40}?\\s*$`,
    'u',
  ).exec(before)
  return appositive ? trimLeading(appositive[1]!.split(/\s+/)) : undefined
}

/** Credits named in a paragraph, in the order they appear. */
export function creditsIn(text: string, line: number, options: ProseOptions = {}): TextCredit[] {
  const known = new Set((options.knownNames ?? []).map((name) => name.normalize('NFC').toLowerCase()))
  const notNames = new Set([...NOT_NAME_WORDS, ...(options.notNames ?? [])])
  const credits: TextCredit[] = []
  for (const match of text.matchAll(CREDIT_PHRASE)) {
    const lead = match[1]!
    // "(played by X)" only; "(a film later played by Y)" is not a credit phrase.
    if (lead.trim() !== '' && !/^\s*[\p{Ll}\s-]*$/u.test(lead)) continue
    if (lead.trim().split(/\s+/).length > 2) continue
    const actor = match[3]!.split(/\s*[,;]\s*/)[0]!.trim()
    if (!looksLikePersonName(actor, known)) continue
    const characterName = characterBefore(text.slice(0, match.index), notNames)
    credits.push({
      actor,
      ...(characterName === undefined ? {} : {characterName}),
      isVoice: match[2]!.toLowerCase() === 'voiced',
      line,
    })
  }
  return credits
}
