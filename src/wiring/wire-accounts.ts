import { Authenticate } from '../application/accounts/authenticate.js';
import { ListUsers } from '../application/accounts/list-users.js';
import { Login, type LoginSettings } from '../application/accounts/login.js';
import { LoginThrottle, type LoginThrottleSettings } from '../application/accounts/login-throttle.js';
import { Logout } from '../application/accounts/logout.js';
import { Presence } from '../application/accounts/presence.js';
import { Register } from '../application/accounts/register.js';
import { Unregister } from '../application/accounts/unregister.js';
import type { AccountStore } from '../application/ports/accounts/account-store.js';
import type { AuditTrail } from '../application/ports/accounts/audit-trail.js';
import type { PasswordHasher } from '../application/ports/accounts/password-hasher.js';
import type { SessionTokens } from '../application/ports/accounts/session-tokens.js';
import type { Clock } from '../application/ports/clock.js';
import type { PublishedFiles } from '../application/ports/files/published-files.js';
import type { Inbox } from '../application/ports/inbox.js';

export interface AccountsParts {
  /** This node's id: the home node of its users, the `node` of their addresses. */
  readonly node: string;
  readonly clock: Clock;
  readonly store: AccountStore;
  readonly hasher: PasswordHasher;
  readonly tokens: SessionTokens;
  /** Every account operation is recorded here (the database and the log, fanned out). */
  readonly audit: AuditTrail;
  /** Direct messages waiting for the users: emptied when an account is removed. */
  readonly inbox?: Inbox;
  /** The files the users published: removed when an account is removed. */
  readonly files?: PublishedFiles;
}

export interface AccountsSettings {
  readonly throttle?: Partial<LoginThrottleSettings>;
  readonly login?: Partial<LoginSettings>;
}

/** The users of this node: accounts, sessions, presence (SPEC section 5). */
export interface AccountsWiring {
  readonly accounts: AccountStore;
  readonly authenticate: Authenticate;
  readonly register: Register;
  readonly login: Login;
  readonly logout: Logout;
  readonly unregister: Unregister;
  readonly presence: Presence;
  readonly listUsers: ListUsers;
}

/** One throttle is shared by login and unregister: a wrong password counts the same through either. */
export function wireAccounts(parts: AccountsParts, settings: AccountsSettings = {}): AccountsWiring {
  const { node, clock, store, hasher, tokens, audit, inbox, files } = parts;
  const context = { node, clock, audit };
  const throttle = new LoginThrottle({ clock }, settings.throttle);
  const authenticate = new Authenticate({ node, clock, store, tokens });
  const presence = new Presence({ ...context, store });
  return {
    accounts: store,
    authenticate,
    register: new Register({ ...context, store, hasher }),
    login: new Login({ ...context, store, hasher, tokens, throttle }, settings.login),
    logout: new Logout({ ...context, store, authenticate }),
    unregister: new Unregister({ ...context, store, hasher, authenticate, throttle, inbox, files }),
    presence,
    listUsers: new ListUsers({ node, store, presence }),
  };
}
