import type { PresenceChange } from '../../src/application/accounts/presence.js';
import type { UserPush } from '../../src/application/ports/user-push.js';
import type { HistoryEntry, StatusUpdate } from '../../src/domain/delivery.js';
import type { MeshGraph } from '../../src/domain/mesh-graph.js';
import type { NodeRecord } from '../../src/domain/node-record.js';

/** Stands for the users of one node: records what they were pushed. */
export class RecordingPushNotifier implements UserPush {
  readonly messages: HistoryEntry[] = [];
  readonly statuses: StatusUpdate[] = [];
  readonly nodeLists: NodeRecord[][] = [];
  readonly meshes: MeshGraph[] = [];
  readonly presences: PresenceChange[] = [];
  /** Names whose connections were closed by `disconnectUser`, in order. */
  readonly disconnected: string[] = [];

  /** `users` stand behind it: what `pushMessage` says it reached, and `connectedUsers`. */
  constructor(private readonly users = 1) {}

  get connectedUsers(): number {
    return this.users;
  }

  /** Messages pushed with `except`: shown to every user but the one who sent them. */
  readonly exceptions: (string | undefined)[] = [];

  pushMessage(message: HistoryEntry, except?: string): number {
    this.messages.push(structuredClone(message));
    this.exceptions.push(except);
    return this.users;
  }

  pushStatus(update: StatusUpdate): void {
    this.statuses.push(structuredClone(update));
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    this.nodeLists.push(structuredClone([...nodes]));
  }

  pushMesh(graph: MeshGraph): void {
    this.meshes.push(structuredClone(graph));
  }

  pushPresence(change: PresenceChange): void {
    this.presences.push(structuredClone(change));
  }

  /** Stands for no logged-in connection: records the name and closes nothing. */
  disconnectUser(name: string): number {
    this.disconnected.push(name);
    return 0;
  }

  texts(): string[] {
    return this.messages.map((m) => m.msg);
  }
}

export class SequentialIds {
  #n = 0;
  constructor(private readonly prefix = 'm') {}
  next(): string {
    return `${this.prefix}-${++this.#n}`;
  }
}
