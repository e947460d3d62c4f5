/** The local app server: the lake's API, the Studio's support endpoints and the built Studio over HTTP/2 + TLS. */
export {startServer, type AppHandler, type RunningServer, type StartServerOptions} from './server'
export {LOCAL_USER, registerStudioRoutes, type LocalUser, type StudioRoutesOptions} from './studio-api'
export {parseActionsRequest, runActions, mutationsFor, type DocumentAction} from './actions'
export {loadOrCreateCertificate, certificateHosts} from './tls'
