import {keyFor} from './ids'
import type {MentionMarkDef, Span, TextBlock} from './types'

/** A spelling of a person's name as it may appear in text, and whom it means. */
export interface NameSpelling {
  text: string
  personId: string
}

interface Occurrence {
  start: number
  end: number
  personId: string
}

const WORD_CHAR = /[\p{L}\p{M}\p{N}]/u

/**
 * Every whole-word occurrence of a known spelling, leftmost first and, where two
 * overlap, the longest (so "Amy Adams" wins over a hypothetical "Amy").
 */
export function findMentions(text: string, spellings: readonly NameSpelling[]): Occurrence[] {
  const found: Occurrence[] = []
  for (const spelling of spellings) {
    if (spelling.text === '') continue
    for (let start = text.indexOf(spelling.text); start >= 0; start = text.indexOf(spelling.text, start + 1)) {
      const end = start + spelling.text.length
      const before = text[start - 1]
      const after = text[end]
      if ((before && WORD_CHAR.test(before)) || (after && WORD_CHAR.test(after))) continue
      found.push({start, end, personId: spelling.personId})
    }
  }
  found.sort((a, b) => a.start - b.start || b.end - a.end)
  const chosen: Occurrence[] = []
  for (const occurrence of found) {
    const last = chosen.at(-1)
    if (!last || occurrence.start >= last.end) chosen.push(occurrence)
  }
  return chosen
}

/**
 * One paragraph as a `normal` block. Spans are split only around mentions, so the
 * span texts concatenate to the paragraph exactly; each mentioned person gets one
 * `mention` markDef per block, shared by all of its spans.
 */
export function paragraphBlock(
  documentId: string,
  path: string,
  text: string,
  spellings: readonly NameSpelling[],
): TextBlock {
  const markDefs: MentionMarkDef[] = []
  const markFor = new Map<string, string>()
  const children: Span[] = []
  const pushSpan = (spanText: string, marks: string[]) => {
    children.push({
      _type: 'span',
      _key: keyFor(documentId, `${path}.children[${children.length}]`),
      text: spanText,
      marks,
    })
  }
  let position = 0
  for (const mention of findMentions(text, spellings)) {
    if (mention.start > position) pushSpan(text.slice(position, mention.start), [])
    let markKey = markFor.get(mention.personId)
    if (markKey === undefined) {
      markKey = keyFor(documentId, `${path}.markDefs[${markDefs.length}]`)
      markDefs.push({_type: 'mention', _key: markKey, reference: {_type: 'reference', _ref: mention.personId}})
      markFor.set(mention.personId, markKey)
    }
    pushSpan(text.slice(mention.start, mention.end), [markKey])
    position = mention.end
  }
  if (position < text.length || children.length === 0) pushSpan(text.slice(position), [])
  return {_type: 'block', _key: keyFor(documentId, path), style: 'normal', markDefs, children}
}

/** The plain text of Portable Text blocks, one string per block. */
export function blockTexts(blocks: readonly TextBlock[]): string[] {
  return blocks.map((block) => block.children.map((child) => child.text).join(''))
}
