import {escapeHTML} from '@portabletext/to-html'

/** What rendering a comment needs; the fields of a stored `comment` document. */
export interface RenderableComment {
  _id?: string
  authorName: string
  body: string
  createdAt?: string
}

/**
 * Escapes a comment body for HTML and keeps its line breaks as `<br>`. Bodies are stored as the
 * reader typed them (markup included), so escaping happens here, at output.
 */
export function escapeCommentBody(body: string): string {
  return body
    .split(/\r\n|\r|\n/)
    .map((line) => escapeHTML(line))
    .join('<br>')
}

/** A comment as an `<article>`: author, optional time, escaped body. */
export function renderCommentHtml(comment: RenderableComment): string {
  const id = comment._id ? ` id="${escapeHTML(comment._id)}"` : ''
  const time = comment.createdAt ? ` <time datetime="${escapeHTML(comment.createdAt)}">${escapeHTML(comment.createdAt.slice(0, 10))}</time>` : ''
  return (
    `<article class="comment"${id}>` +
    `<p class="comment-meta"><span class="comment-author">${escapeHTML(comment.authorName)}</span>${time}</p>` +
    `<p class="comment-body">${escapeCommentBody(comment.body)}</p>` +
    `</article>`
  )
}
