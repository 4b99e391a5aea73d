import type { UserPush } from '../../src/application/ports/user-push.js';
import type { ChatMessage } from '../../src/domain/message.js';
import type { NodeRecord } from '../../src/domain/node-record.js';

/** Stands for the users of one node: records what they were pushed. */
export class RecordingPushNotifier implements UserPush {
  readonly messages: ChatMessage[] = [];
  readonly nodeLists: NodeRecord[][] = [];

  constructor(private readonly users = 1) {}

  pushMessage(message: ChatMessage): number {
    this.messages.push(structuredClone(message));
    return this.users;
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    this.nodeLists.push(structuredClone([...nodes]));
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
