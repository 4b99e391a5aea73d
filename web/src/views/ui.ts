import { byId } from '../dom.js';

/** The page's fixed elements (web/index.html), found once at start. */
export function findUi(doc: Document) {
  return {
    selfId: byId(doc, 'self-id', HTMLElement),
    selfUrl: byId(doc, 'self-url', HTMLElement),
    connState: byId(doc, 'conn-state', HTMLElement),
    connText: byId(doc, 'conn-text', HTMLElement),
    connAnnounce: byId(doc, 'conn-announce', HTMLElement),
    reconnectNow: byId(doc, 'reconnect-now', HTMLButtonElement),
    meshToggle: byId(doc, 'mesh-toggle', HTMLButtonElement),
    nodeCount: byId(doc, 'node-count', HTMLElement),
    nodeList: byId(doc, 'node-list', HTMLUListElement),
    nodesEmpty: byId(doc, 'nodes-empty', HTMLElement),
    chat: byId(doc, 'chat', HTMLElement),
    back: byId(doc, 'back', HTMLButtonElement),
    convAvatar: byId(doc, 'conv-avatar', HTMLElement),
    convTitle: byId(doc, 'conv-title', HTMLElement),
    destId: byId(doc, 'dest-id', HTMLElement),
    convSub: byId(doc, 'conv-sub', HTMLElement),
    log: byId(doc, 'log', HTMLOListElement),
    jumpLatest: byId(doc, 'jump-latest', HTMLButtonElement),
    composer: byId(doc, 'composer', HTMLFormElement),
    displayName: byId(doc, 'display-name', HTMLInputElement),
    messageLabel: byId(doc, 'message-label', HTMLLabelElement),
    message: byId(doc, 'message', HTMLTextAreaElement),
    send: byId(doc, 'send', HTMLButtonElement),
    hint: byId(doc, 'composer-hint', HTMLElement),
    meshPanel: byId(doc, 'mesh-panel', HTMLElement),
    meshBack: byId(doc, 'mesh-back', HTMLButtonElement),
    meshSummary: byId(doc, 'mesh-summary', HTMLElement),
    mesh: byId(doc, 'mesh', SVGSVGElement),
    announcer: byId(doc, 'announcer', HTMLElement),
  };
}

export type Ui = ReturnType<typeof findUi>;
