import {describe, expect, it} from 'vitest'

import {escapeCommentBody, renderCommentHtml} from '../../comments/index'

describe('escapeCommentBody', () => {
  it('escapes markup and turns every kind of line break into <br>', () => {
    expect(escapeCommentBody('<a href="x">hi</a> & bye\nnext\r\nlast\rend')).toBe(
      '&lt;a href=&quot;x&quot;&gt;hi&lt;/a&gt; &amp; bye<br>next<br>last<br>end',
    )
  })

  it('keeps runs of spaces visible and leaves tabs and blank lines alone', () => {
    expect(escapeCommentBody('a   b\t\n\nc')).toBe('a&nbsp;&nbsp; b\t<br><br>c')
  })
})

describe('renderCommentHtml', () => {
  it('renders the author and body without an id or time when the comment has none', () => {
    expect(renderCommentHtml({authorName: 'Ada "the first"', body: 'Line 1\nLine 2'})).toBe(
      '<article class="comment"><p class="comment-meta"><span class="comment-author">Ada &quot;the first&quot;</span></p>' +
        '<p class="comment-body">Line 1<br>Line 2</p></article>',
    )
  })

  it('escapes an id and time that try to break out of their attributes', () => {
    expect(renderCommentHtml({_id: '"><script>', authorName: 'A', body: 'B', createdAt: '"><b>2025-01-01'})).toBe(
      '<article class="comment" id="&quot;&gt;&lt;script&gt;"><p class="comment-meta"><span class="comment-author">A</span>' +
        ' <time datetime="&quot;&gt;&lt;b&gt;2025-01-01">&quot;&gt;&lt;b&gt;2025-</time></p><p class="comment-body">B</p></article>',
    )
  })
})
