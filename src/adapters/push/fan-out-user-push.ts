import type { UserPush } from '../../application/ports/user-push.js';
import type { ChatMessage } from '../../domain/message.js';
import type { NodeRecord } from '../../domain/node-record.js';

/** One `UserPush` over every front end the node runs. */
export class FanOutUserPush implements UserPush {
  constructor(private readonly targets: readonly UserPush[]) {}

  pushMessage(message: ChatMessage): number {
    return this.targets.reduce((users, target) => users + target.pushMessage(message), 0);
  }

  pushNodes(nodes: readonly NodeRecord[]): void {
    for (const target of this.targets) target.pushNodes(nodes);
  }
}
