import type { ChatClient } from '../../client/index.js';
import type { ChatConfig } from './chat-args.js';
import { clean, destinationLabel } from './format.js';
import type { Terminal } from './terminal.js';

/** What an interactive chat holds besides the client: the destination and name the user chose. */
export class ChatSession {
  destination: string | undefined;
  user: string | undefined;

  constructor(
    readonly client: ChatClient,
    readonly terminal: Terminal,
    readonly config: ChatConfig,
  ) {
    this.destination = config.to;
    this.user = config.user;
  }

  /** The node the client is on: its `hello`, else the listed node whose url is the one dialled. */
  self(): { readonly id: string } | undefined {
    const hello = this.client.self;
    if (hello) return hello;
    const want = this.config.node.href.replace(/\/+$/, '');
    return this.client.nodes().find((n) => n.url.replace(/\/+$/, '') === want);
  }

  /** Where a plain line goes: the chosen destination, else the node the client is on. */
  currentDestination(): string | undefined {
    return this.destination ?? this.self()?.id;
  }

  currentLabel(): string {
    const to = this.currentDestination();
    return to === undefined ? '?' : destinationLabel(to);
  }

  updatePrompt(): void {
    this.terminal.setPrompt(`${this.user ? `${clean(this.user, true)} ` : ''}→ ${this.currentLabel()}> `);
  }
}
