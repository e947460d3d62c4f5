import {CheckmarkIcon} from '@sanity/icons/Checkmark'
import {CloseIcon} from '@sanity/icons/Close'
import {useState} from 'react'
import {
  type DocumentActionComponent,
  type DocumentActionsResolver,
  type Template,
  useClient,
} from 'sanity'
import {usePaneRouter} from 'sanity/structure'

import {moderateComment} from '../comments/moderation'
import {apiVersion} from '../lib/constants'
import type {CommentStatus} from '../schemas/constants'

/**
 * A moderation action, one click: moves the comment to where its new status belongs (approved:
 * its public id; rejected: its private `moderation.` id) in one transaction, then keeps the pane
 * on the comment at its new id.
 */
function moderationAction(status: CommentStatus, label: string, tone: 'positive' | 'critical', icon: typeof CheckmarkIcon): DocumentActionComponent {
  const Action: DocumentActionComponent = (props) => {
    const client = useClient({apiVersion})
    const paneRouter = usePaneRouter()
    const [state, setState] = useState<{busy: boolean; error?: string}>({busy: false})
    const current = (props.draft ?? props.published) as {status?: string} | null
    const already = current?.status === status
    return {
      label,
      icon,
      tone,
      disabled: state.busy || !current || already,
      title: already ? `This comment is already ${status}.` : undefined,
      dialog: state.error ? {type: 'popover', content: state.error, onClose: () => setState({busy: false})} : null,
      onHandle: () => {
        setState({busy: true})
        moderateComment(client, props.id, status).then(
          (result) => {
            setState({busy: false})
            // Outside a structure pane (no pane router) there is nothing to follow.
            try {
              if (result.id !== props.id) paneRouter.replaceCurrent({id: result.id})
            } catch {
              // The document list shows the comment under its new status either way.
            }
            props.onComplete()
          },
          (error: unknown) => setState({busy: false, error: `${label} failed: ${error instanceof Error ? error.message : String(error)}`}),
        )
      },
    }
  }
  Action.displayName = `${label}CommentAction`
  return Action
}

export const ApproveCommentAction = moderationAction('approved', 'Approve', 'positive', CheckmarkIcon)
export const RejectCommentAction = moderationAction('rejected', 'Reject', 'critical', CloseIcon)

/**
 * Comments get Approve and Reject next to the default actions. Duplicate is left out: a copy would
 * get a fresh public id, and only the actions may make a comment public.
 */
export const resolveDocumentActions: DocumentActionsResolver = (prev, context) =>
  context.schemaType === 'comment'
    ? [ApproveCommentAction, RejectCommentAction, ...prev.filter((action) => action.action !== 'duplicate')]
    : prev

/** Readers write comments, editors moderate them: the Studio offers no "new comment". */
export function withoutCommentTemplates(templates: Template[]): Template[] {
  return templates.filter((template) => template.schemaType !== 'comment')
}
