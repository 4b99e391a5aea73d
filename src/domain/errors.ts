/**
 * Domain errors: invariant violations with a stable machine `code`. Front ends map each class to a status
 * or an error frame through one table; the `message` is a sentence a person can act on.
 */
export abstract class MeshError extends Error {
  abstract readonly code: string;
  override get name(): string {
    return this.constructor.name;
  }
}

/** Input that breaks a wire rule (id, url, message size, ...). */
export class InvalidInput extends MeshError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A node id that this node has never heard of. */
export class UnknownNode extends MeshError {
  readonly code = 'unknown_node';
  constructor(readonly nodeId: string) {
    super(`No node with id "${nodeId}" is known to this node.`);
  }
}

/** A request that contradicts what this node knows (for example, someone claiming this node's own id). */
export class Conflict extends MeshError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A message that has been relayed as often as the hop limit allows. */
export class HopLimitReached extends MeshError {
  readonly code = 'hop_limit';
  constructor(readonly hops: number) {
    super(`This message has already been relayed ${hops} times; it is not relayed again.`);
  }
}

/** Input over a size limit (a message text over 64 KiB, ...). */
export class TooLarge extends MeshError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
