import {CheckmarkIcon} from '@sanity/icons/Checkmark'
import {CloseIcon} from '@sanity/icons/Close'
import {
  type DocumentActionComponent,
  type DocumentActionsResolver,
  useDocumentOperation,
} from 'sanity'

import type {CommentStatus} from '../schemas/constants'

/** A moderation action: sets the comment's status and publishes, in one click. */
function moderationAction(
  status: CommentStatus,
  label: string,
  tone: 'positive' | 'critical',
  icon: typeof CheckmarkIcon,
): DocumentActionComponent {
  const Action: DocumentActionComponent = (props) => {
    const {patch, publish} = useDocumentOperation(props.id, props.type)
    const current = (props.draft ?? props.published) as {status?: string} | null
    return {
      label,
      icon,
      tone,
      disabled: Boolean(patch.disabled) || current?.status === status,
      title: current?.status === status ? `This comment is already ${status}.` : undefined,
      onHandle: () => {
        patch.execute([{set: {status}}])
        publish.execute()
        props.onComplete()
      },
    }
  }
  Action.displayName = `${label}CommentAction`
  return Action
}

export const ApproveCommentAction = moderationAction(
  'approved',
  'Approve',
  'positive',
  CheckmarkIcon,
)
export const RejectCommentAction = moderationAction('rejected', 'Reject', 'critical', CloseIcon)

/** Comments get Approve and Reject next to the default actions. */
export const resolveDocumentActions: DocumentActionsResolver = (prev, context) =>
  context.schemaType === 'comment' ? [ApproveCommentAction, RejectCommentAction, ...prev] : prev
