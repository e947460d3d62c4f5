import type {BlockDecoratorProps} from 'sanity'

/** Shows spoiler text struck through a dark band in the editor, as frontends hide it. */
export function SpoilerDecorator(props: BlockDecoratorProps) {
  return (
    <span
      data-spoiler=""
      title="Spoiler: hidden on the site until the reader reveals it"
      style={{
        background: 'rgba(0, 0, 0, 0.12)',
        borderRadius: 2,
        textDecoration: 'underline dotted',
      }}
    >
      {props.children}
    </span>
  )
}
