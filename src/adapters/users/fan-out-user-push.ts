import type { PresenceChange } from '../../application/accounts/presence.js';
import type { UserPush } from '../../application/ports/user-push.js';
import type { HistoryEntry, StatusUpdate } from '../../domain/delivery.js';
import type { MeshGraph } from '../../domain/mesh-graph.js';
import type { NodeRecord } from '../../domain/node-record.js';

/** One `UserPush` over every front end the node runs. */
export class FanOutUserPush implements UserPush {
  constructor(private readonly targets: readonly UserPush[]) {}

  get connectedUsers(): number {
    return this.targets.reduce((users, target) => users + target.connectedUsers, 0);
  }

  pushMessage(message: HistoryEntry, except?: string): number {
    return this.targets.reduce((users, target) => users + target.pushMessage(message, except), 0);
  }

  pushStatus(update: StatusUpdate): void {
    for (const target of this.targets) target.pushStatus(update);
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    for (const target of this.targets) target.pushNodes(nodes);
  }

  pushMesh(graph: MeshGraph): void {
    for (const target of this.targets) target.pushMesh(graph);
  }

  pushPresence(change: PresenceChange): void {
    for (const target of this.targets) target.pushPresence(change);
  }

  disconnectUser(name: string): number {
    return this.targets.reduce((closed, target) => closed + target.disconnectUser(name), 0);
  }
}
