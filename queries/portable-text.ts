import {toPlainText as blocksToPlainText} from '@portabletext/toolkit'
import {
  escapeHTML,
  toHTML,
  uriLooksSafe,
  type PortableTextHtmlComponents,
} from '@portabletext/to-html'
import type {ArbitraryTypedObject, PortableTextBlock} from '@portabletext/types'

/** A mention as `reviewPageQuery` resolves it. */
export interface MentionTarget {
  _type: string
  slug: string | null
  name?: string | null
  title?: string | null
}

export interface RenderOptions {
  /** Where a mention links; return undefined to render it as plain text. */
  mentionHref?: (target: MentionTarget) => string | undefined
}

/** Site paths for mentioned people and films, as the reference site serves them. */
export function defaultMentionHref(target: MentionTarget): string | undefined {
  if (!target.slug) return undefined
  if (target._type === 'person') return `/people/${encodeURIComponent(target.slug)}`
  if (target._type === 'film') return `/films/${encodeURIComponent(target.slug)}`
  return undefined
}

type Blocks = ReadonlyArray<PortableTextBlock | ArbitraryTypedObject> | null | undefined

/**
 * Renders review Portable Text to HTML: spoilers become `<span class="spoiler">`
 * (frontends hide them until revealed), mentions link to their person or film,
 * links keep only safe schemes. All text is escaped.
 */
export function portableTextToHtml(blocks: Blocks, options: RenderOptions = {}): string {
  const mentionHref = options.mentionHref ?? defaultMentionHref
  const components: Partial<PortableTextHtmlComponents> = {
    marks: {
      spoiler: ({children}) => `<span class="spoiler">${children}</span>`,
      mention: ({children, value}) => {
        const target = (value as {target?: MentionTarget | null} | undefined)?.target
        const href = target ? mentionHref(target) : undefined
        return href
          ? `<a class="mention" href="${escapeHTML(href)}">${children}</a>`
          : `<span class="mention">${children}</span>`
      },
      link: ({children, value}) => {
        const href = (value as {href?: string} | undefined)?.href ?? ''
        return uriLooksSafe(href)
          ? `<a href="${escapeHTML(href)}" rel="noopener">${children}</a>`
          : children
      },
    },
  }
  return toHTML([...(blocks ?? [])] as PortableTextBlock[], {components})
}

/** Plain text of Portable Text, paragraphs separated by blank lines (for excerpts and search). */
export function portableTextToPlainText(blocks: Blocks): string {
  return blocksToPlainText([...(blocks ?? [])] as PortableTextBlock[])
}

/** The first `length` characters of the text, cut at a word boundary, with an ellipsis. */
export function excerpt(text: string, length = 200): string {
  const clean = text.replace(/\s+/g, ' ').trim()
  if (clean.length <= length) return clean
  const cut = clean.slice(0, length)
  const lastSpace = cut.lastIndexOf(' ')
  return `${(lastSpace > length / 2 ? cut.slice(0, lastSpace) : cut).replace(/[\s,.;:]+$/, '')}…`
}
