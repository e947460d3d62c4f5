/** The local app server: the lake's API, the Studio's support endpoints and the built Studio over HTTP/2 + TLS. */
export {
  startServer,
  resolveCorsOrigins,
  CORS_ORIGINS_ENV,
  DEFAULT_LIMITS,
  DEFAULT_TIMEOUTS,
  type AppHandler,
  type RunningServer,
  type ServerLimits,
  type ServerTimeouts,
  type StartServerOptions,
} from './server'
export {LOCAL_USER, registerStudioRoutes, type LocalUser, type StudioRoutesOptions} from './studio-api'
export {parseActionsRequest, runActions, mutationsFor, type DocumentAction} from './actions'
export {loadOrCreateCertificate, certificateHosts} from './tls'
