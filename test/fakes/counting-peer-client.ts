import type {
  CallOptions,
  NodeAnswer,
  PeerClient,
  ProbeVerdict,
  UserListAnswer,
} from '../../src/application/ports/peer-client.js';
import type { ChatMessage, InboundMessage } from '../../src/domain/message.js';
import type { NodeRecord } from '../../src/domain/node-record.js';
import type { NodeReport } from '../../src/domain/peer-registry.js';

/** One outbound call: the method of the port and the URL it was sent to. */
export interface CountedCall {
  readonly call: keyof PeerClient;
  readonly url: string;
}

/** A `PeerClient` that records every call it is asked to make, then makes it with the client it wraps. */
export class CountingPeerClient implements PeerClient {
  readonly calls: CountedCall[] = [];

  constructor(private readonly inner: PeerClient) {}

  #count(call: keyof PeerClient, url: string): void {
    this.calls.push({ call, url });
  }

  listNodes(url: string, options?: CallOptions & { includeDead?: boolean }): Promise<NodeReport[]> {
    this.#count('listNodes', url);
    return this.inner.listNodes(url, options);
  }

  getNode(url: string, id: string, options?: CallOptions): Promise<NodeAnswer> {
    this.#count('getNode', url);
    return this.inner.getNode(url, id, options);
  }

  announce(url: string, node: NodeReport, options?: CallOptions): Promise<void> {
    this.#count('announce', url);
    return this.inner.announce(url, node, options);
  }

  withdraw(url: string, node: NodeRecord & { reason?: 'dead' }, options?: CallOptions): Promise<void> {
    this.#count('withdraw', url);
    return this.inner.withdraw(url, node, options);
  }

  sendMessage(
    url: string,
    message: ChatMessage | InboundMessage,
    options?: Parameters<PeerClient['sendMessage']>[2],
  ): Promise<void> {
    this.#count('sendMessage', url);
    return this.inner.sendMessage(url, message, options);
  }

  sendMessages(
    url: string,
    messages: readonly ChatMessage[],
    options?: Parameters<PeerClient['sendMessages']>[2],
  ) {
    this.#count('sendMessages', url);
    return this.inner.sendMessages(url, messages, options);
  }

  probeVia(url: string, target: NodeRecord, options?: CallOptions): Promise<ProbeVerdict> {
    this.#count('probeVia', url);
    return this.inner.probeVia(url, target, options);
  }

  listUsers(url: string, options?: CallOptions): Promise<UserListAnswer> {
    this.#count('listUsers', url);
    return this.inner.listUsers(url, options);
  }

  listCatalog(url: string, options?: CallOptions & { readonly since?: number }) {
    this.#count('listCatalog', url);
    return this.inner.listCatalog(url, options);
  }
}
