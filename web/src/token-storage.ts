const KEY_TOKEN = 'meshchat.token';

/**
 * Where the page keeps its login token: the tab's sessionStorage, not localStorage. A reload stays signed in,
 * but closing the tab (or the browser) ends it, so a shared computer does not keep anyone signed in, and two
 * tabs can be two users. Storage that is disabled keeps nothing: the page then forgets the login on reload.
 */
export class TokenStorage {
  constructor(private readonly store: Storage | undefined) {}

  get token(): string | undefined {
    try {
      const token = this.store?.getItem(KEY_TOKEN);
      return token ? token : undefined;
    } catch {
      return undefined;
    }
  }

  set token(token: string | undefined) {
    try {
      if (token === undefined) this.store?.removeItem(KEY_TOKEN);
      else this.store?.setItem(KEY_TOKEN, token);
    } catch {
      // See the class comment.
    }
  }
}
