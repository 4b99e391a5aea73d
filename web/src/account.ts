import type { AccountError, AccountsApi } from '../../src/client/index.js';
import type { ChatSession } from './chat-session.js';
import type { AppState } from './state.js';
import type { Store } from './store.js';
import type { TokenStorage } from './token-storage.js';

/** A wait in seconds as a person reads it: "45 s", "3 min". */
export function waitWords(seconds: number): string {
  return seconds < 90 ? `${Math.max(1, seconds)} s` : `${Math.ceil(seconds / 60)} min`;
}

/** A refusal in words: the node's sentence, and for a rate limit the wait from `Retry-After`. */
export function accountErrorText(error: AccountError): string {
  if (error.code === 'rate_limited' && error.retryAfterSeconds !== undefined)
    return `Too many failed sign-ins: wait ${waitWords(error.retryAfterSeconds)} before trying again.`;
  return error.message;
}

/**
 * Signing in, registering and signing out from the page: the account calls, the token kept for the tab, and
 * the connection started again as the new identity.
 */
export class AccountActions {
  constructor(
    private readonly api: AccountsApi,
    private readonly store: Store<AppState>,
    private readonly tokens: TokenStorage,
    private readonly session: ChatSession,
  ) {}

  async signIn(name: string, password: string): Promise<void> {
    if (!this.#begin()) return;
    const answer = await this.api.signIn(name.trim(), password);
    if (!answer.ok) return this.#refused(answer.error);
    this.tokens.token = answer.value.token;
    this.store.update((s) => {
      s.account = { signedIn: true, panelOpen: false, busy: false };
    });
    this.session.restart(answer.value.token);
  }

  /** Creates the account, then signs in with it. */
  async register(name: string, password: string): Promise<void> {
    if (!this.#begin()) return;
    const made = await this.api.register(name.trim(), password);
    if (!made.ok) return this.#refused(made.error);
    this.store.update((s) => {
      s.account.busy = false;
    });
    await this.signIn(name, password);
  }

  /** Revokes the token on the node, forgets it, and goes on anonymously (also when the node cannot be told). */
  async signOut(): Promise<void> {
    const token = this.tokens.token;
    if (!this.#begin()) return;
    const answer = token === undefined ? undefined : await this.api.signOut(token);
    this.tokens.token = undefined;
    const failed = answer !== undefined && !answer.ok && answer.error.code !== 'unauthenticated';
    this.store.update((s) => {
      s.account = { signedIn: false, panelOpen: false, busy: false };
      if (failed)
        s.account.notice =
          'Signed out here, but the node could not be told: the session ends when it expires.';
    });
    this.session.restart(undefined);
  }

  /** The node refused the token on connecting (it expired or was revoked elsewhere). */
  loginRefused(): void {
    this.tokens.token = undefined;
    this.store.update((s) => {
      s.account = {
        signedIn: false,
        panelOpen: false,
        busy: false,
        notice: 'Your session has ended (expired or signed out elsewhere); you are anonymous now.',
      };
    });
    this.session.restart(undefined);
  }

  /** The node is private: nothing is shown or sent until a sign-in, so the panel opens and says why. */
  authRequired(): void {
    this.store.update((s) => {
      s.account.panelOpen = true;
      s.account.notice = 'This node is private: sign in or create an account to read and send messages.';
    });
  }

  setOpen(open: boolean): void {
    this.store.update((s) => {
      s.account.panelOpen = open;
      if (!open) delete s.account.error;
    });
  }

  /** An anonymous page chose a person: signing in comes first. */
  offerSignIn(address: string): void {
    this.store.update((s) => {
      s.account.panelOpen = true;
      s.account.error = `Sign in to write to ${address}.`;
    });
  }

  #begin(): boolean {
    if (this.store.state.account.busy) return false;
    this.store.update((s) => {
      s.account.busy = true;
      delete s.account.error;
      delete s.account.notice;
    });
    return true;
  }

  #refused(error: AccountError): void {
    this.store.update((s) => {
      s.account.busy = false;
      s.account.error = accountErrorText(error);
    });
  }
}
