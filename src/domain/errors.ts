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

/** An error whose code is chosen where it is raised, from a family the class names. */
abstract class CodedError extends MeshError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Input that breaks a wire rule (id, url, message fields, ...). */
export class InvalidInput extends CodedError {}

/** A node id that this node has never heard of. */
export class UnknownNode extends MeshError {
  readonly code = 'unknown_node';
  constructor(readonly nodeId: string) {
    super(`No node with id "${nodeId}" is known to this node.`);
  }
}

/** A request that contradicts what this node knows (for example, someone claiming this node's own id). */
export class Conflict extends CodedError {}

/** A message that has been relayed as often as the hop limit allows. */
export class HopLimitReached extends MeshError {
  readonly code = 'hop_limit';
  constructor(readonly hops: number) {
    super(`This message has already been relayed ${hops} times; it is not relayed again.`);
  }
}

/** Input over a size limit (a message text over 64 KiB, ...). */
export class TooLarge extends CodedError {}
