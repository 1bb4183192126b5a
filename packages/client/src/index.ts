// @edgeclass/client: the typed SDK for EdgeClass live classes. Runs wherever a standard
// WebSocket exists (browsers, Bun, Deno, Node >= 22).
export { EdgeClassClient, liveUrl } from "./client.ts";
export type {
  ConnectionInfo,
  ConnectionStatus,
  EdgeClassClientOptions,
  EdgeClassEvents,
  OutgoingMessage,
  ReconnectOptions,
  WebSocketFactory,
  WebSocketLike,
} from "./client.ts";
export { EdgeClassError } from "./errors.ts";
export type { ClientErrorCode, EdgeClassErrorCode } from "./errors.ts";
export { applyEvent, applyWelcome, emptyState } from "./state.ts";
export type { ClassState, Me, Welcome } from "./state.ts";
export * from "./protocol.ts";
export type * from "./api.ts";
