import { PeerCallFailed } from '../../src/application/errors.js';
import type { PeerClient } from '../../src/application/ports/peer-client.js';

const refused = () => Promise.reject(new PeerCallFailed('peer_unreachable', 'not in this test'));

/** A network where every call fails as unreachable, except those `answers` gives. */
export function silentPeerClient(answers: Partial<PeerClient> = {}): PeerClient {
  return {
    listNodes: refused,
    getNode: refused,
    announce: refused,
    withdraw: refused,
    sendMessage: refused,
    sendMessages: refused,
    probeVia: refused,
    listUsers: refused,
    listCatalog: refused,
    ...answers,
  };
}
