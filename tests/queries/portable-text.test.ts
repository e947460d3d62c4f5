import {describe, expect, it} from 'vitest'

import {excerpt, portableTextToHtml, portableTextToPlainText} from '../../queries/portable-text'

const block = (
  children: Array<{text: string; marks?: string[]}>,
  markDefs: object[] = [],
  style = 'normal',
) => ({
  _type: 'block',
  _key: 'b',
  style,
  markDefs,
  children: children.map((child, i) => ({_type: 'span', _key: `s${i}`, marks: [], ...child})),
})

describe('portableTextToHtml', () => {
  it('renders spoilers as a span with the spoiler class', () => {
    expect(
      portableTextToHtml([
        block([{text: 'Samantha '}, {text: 'leaves', marks: ['spoiler']}, {text: '.'}]),
      ]),
    ).toBe('<p>Samantha <span class="spoiler">leaves</span>.</p>')
  })

  it('links resolved mentions to the person and film pages', () => {
    const html = portableTextToHtml([
      block(
        [{text: 'Joaquin Phoenix', marks: ['m1']}, {text: ' in '}, {text: 'Her', marks: ['m2']}],
        [
          {
            _key: 'm1',
            _type: 'mention',
            target: {_type: 'person', slug: 'joaquin-phoenix', name: 'Joaquin Phoenix'},
          },
          {_key: 'm2', _type: 'mention', target: {_type: 'film', slug: 'her-2013', title: 'Her'}},
        ],
      ),
    ])
    expect(html).toBe(
      '<p><a class="mention" href="/people/joaquin-phoenix">Joaquin Phoenix</a> in <a class="mention" href="/films/her-2013">Her</a></p>',
    )
  })

  it('escapes text and drops unsafe link schemes', () => {
    const html = portableTextToHtml([
      block(
        [
          {text: '<script>alert(1)</script>', marks: ['l1']},
          {text: ' & safe', marks: ['l2']},
        ],
        [
          {_key: 'l1', _type: 'link', href: 'javascript:alert(1)'},
          {_key: 'l2', _type: 'link', href: 'https://example.com/?a=1&b="2"'},
        ],
      ),
    ])
    expect(html).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt;<a href="https://example.com/?a=1&amp;b=&quot;2&quot;" rel="noopener"> &amp; safe</a></p>',
    )
  })
})

describe('portableTextToPlainText and excerpt', () => {
  it('joins paragraphs and cuts excerpts at a word boundary', () => {
    const text = portableTextToPlainText([
      block([{text: 'One two three.'}]),
      block([{text: 'Four five.'}]),
    ])
    expect(text).toBe('One two three.\n\nFour five.')
    expect(excerpt(text, 12)).toBe('One two…')
    expect(excerpt('Short.', 12)).toBe('Short.')
  })
})
