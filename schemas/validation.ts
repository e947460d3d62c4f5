import type {PortableTextBlock} from '@portabletext/types'

/** True when Portable Text holds at least one block with visible text or a non-text block. */
export function hasContent(value: unknown): boolean {
  if (!Array.isArray(value)) return false
  return value.some((block: PortableTextBlock | {_type?: string}) => {
    if (block._type !== 'block') return true
    const children = (block as PortableTextBlock).children ?? []
    return children.some((child) => typeof child.text === 'string' && child.text.trim().length > 0)
  })
}

/**
 * The last release year a film may have: the current year + 6, i.e. five years after next year, so
 * announced films fit (in 2026: 2032). The schema, the importer and the README all use this rule.
 */
export function latestReleaseYear(now: Date = new Date()): number {
  return now.getFullYear() + 6
}

/** An image's `alt` text is required once the image has an asset. */
export function requireAltWhenImageSet(what: string) {
  return (alt: string | undefined, context: {parent?: unknown}) => {
    const parent = context.parent as {asset?: unknown} | undefined
    if (parent?.asset && !alt?.trim()) {
      return `Describe the ${what} in the alternative text, for readers who cannot see it.`
    }
    return true
  }
}
