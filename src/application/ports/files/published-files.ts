import type { UserAddress } from '../../../domain/account.js';

/**
 * The files a user published on this node, as the accounts see them: when an account is removed, its published
 * files go with it (SPEC section 5: "the account, its sessions, inbox and published files are gone").
 *
 * - `removeAllOf` removes every record `owner` published here, and the bytes of each content no other record
 *   holds (a content another user published too stays). It resolves with how many records went (0 when the user
 *   published nothing); a second call finds nothing to remove.
 * - The caller removes the account first, so no publish of that user can add a record once this has run.
 * - Rejects when the content store fails to remove bytes; the records it reached are gone by then.
 */
export interface PublishedFiles {
  removeAllOf(owner: UserAddress): Promise<number>;
}
