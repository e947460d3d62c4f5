/**
 * `film-review-sanity/studio`: the desk structure and the comment moderation actions, for a
 * Studio of your own (`sanity.config.ts` in this repo shows the wiring). Needs `sanity`.
 */
export {structure} from '../studio/structure'
export {ApproveCommentAction, RejectCommentAction, resolveDocumentActions} from '../studio/actions'
