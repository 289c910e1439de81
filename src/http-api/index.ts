// The door of the JSON-over-HTTP kit (admin API, agent RPC).
export { createApi, route, type ApiOptions, type Method, type RequestListener, type Route, type RouteContext } from './api.js';
export { MAX_BODY } from './body.js';
export { JsonAnswer, sendJson, startNdjson, TextAnswer } from './send.js';
