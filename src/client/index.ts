// The meshchat protocol client shared by the CLI and the web page. No DOM, no Node modules, no socket.io:
// the host gives it a `Transport` and (optionally) timers. Start with `createChatClient`.

export type {
  AccountError,
  AccountResult,
  HttpAnswer,
  HttpRequest,
  ListedUser,
  MeshUsers,
  SignedIn,
} from './accounts-api.js';
export { AccountsApi, MAX_LISTED_USERS, parseListedUser, parseMeshUsers } from './accounts-api.js';
export type { Backoff } from './backoff.js';
export { DEFAULT_BACKOFF, reconnectDelay } from './backoff.js';
export { createChatClient, DEFAULT_ACK_TIMEOUT_MS } from './chat-client.js';
export type {
  AckReport,
  ChatClient,
  ChatClientEvents,
  ChatClientOptions,
  HistoryBatch,
  HistoryItem,
  OlderBatch,
  ReceivedMessage,
  SendHandle,
} from './chat-client-api.js';
export type { ConnectionStatus, ConnState } from './connection.js';
export type { Addressed } from './conversations.js';
export { conversationKey, isDirectMessage, isUserAddress } from './conversations.js';
export { savedFileName, shownFileName } from './file-names.js';
export type { FileDownload, FileListing, FilesResult, PublishedFile } from './files-api.js';
export {
  downloadPath,
  downloadRefusalText,
  FilesApi,
  fetchedBySummary,
  fetcherLabel,
  fileReferenceOf,
  formatFileSize,
  MAX_LISTED_DOWNLOADS,
  MAX_LISTED_FILES,
  parseDownloads,
  parseFileListing,
  parsePublishedFile,
  publishPath,
  tooLargeText,
  uploadRefusalText,
} from './files-api.js';
export type {
  AckResult,
  ChatMessage,
  FileReference,
  MeshGraph,
  MeshLink,
  NodeInfo,
  PresenceEvent,
  StatusEvent,
  WireError,
} from './frames.js';
export {
  EVERYONE,
  isRecord,
  MAX_FILE_NAME_CHARS,
  MAX_MESH_LINKS,
  MAX_MESH_NODES,
  parseAck,
  parseFileReference,
  parseLoggedInUser,
  parseMesh,
  parseMessage,
  parseNodes,
  parsePresence,
  parseSeq,
  parseStatusEvent,
  parseWireError,
} from './frames.js';
export type { HistoryDecision } from './message-ledger.js';
export { MessageLedger } from './message-ledger.js';
export type { NodeNotice, NodeNoticeKind, PeerState, PeerView } from './node-directory.js';
export { noticeText } from './node-directory.js';
export type { StatusReport } from './sent-ledger.js';
export type { TimerHandle, Timers } from './timers.js';
export { systemTimers } from './timers.js';
export type {
  FrameType,
  InboundFrame,
  OutgoingMessage,
  Transport,
  TransportClose,
  TransportHandlers,
} from './transport.js';
export type { WebSocketDialer, WebSocketLike } from './web-socket-transport.js';
export { WebSocketTransport, WS_CLOSE_UNAUTHENTICATED } from './web-socket-transport.js';
export { parseWsFrame, wsAuthFrame, wsOlderFrame, wsPath, wsSendFrame } from './ws-frames.js';
