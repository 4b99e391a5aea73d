import { Authenticate } from '../../src/application/accounts/authenticate.js';
import { ListUsers } from '../../src/application/accounts/list-users.js';
import { Login } from '../../src/application/accounts/login.js';
import { LoginThrottle, type LoginThrottleSettings } from '../../src/application/accounts/login-throttle.js';
import { Logout } from '../../src/application/accounts/logout.js';
import { Presence } from '../../src/application/accounts/presence.js';
import { Register } from '../../src/application/accounts/register.js';
import { Unregister } from '../../src/application/accounts/unregister.js';
import type { AccountStore } from '../../src/application/ports/accounts/account-store.js';
import type { PasswordHasher } from '../../src/application/ports/accounts/password-hasher.js';
import type { SessionTokens } from '../../src/application/ports/accounts/session-tokens.js';
import type { PublishedFiles } from '../../src/application/ports/files/published-files.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { FakePasswordHasher } from '../fakes/fake-password-hasher.js';
import { InMemoryAccountStore } from '../fakes/in-memory-account-store.js';
import { RecordingAuditTrail } from '../fakes/recording-audit-trail.js';
import { SequentialSessionTokens } from '../fakes/sequential-session-tokens.js';

/** The account use cases of node `node-a`, wired on fakes (or on the store and hasher a test passes). */
export function accountsOnFakes(
  options: {
    store?: AccountStore;
    hasher?: PasswordHasher;
    tokens?: SessionTokens;
    throttle?: Partial<LoginThrottleSettings>;
    /** The users' published files, which `unregister` removes. */
    files?: PublishedFiles;
  } = {},
) {
  const clock = new FakeClock();
  const audit = new RecordingAuditTrail();
  const store = options.store ?? new InMemoryAccountStore();
  const hasher = options.hasher ?? new FakePasswordHasher();
  const tokens = options.tokens ?? new SequentialSessionTokens();
  const context = { node: 'node-a', clock, audit };
  const throttle = new LoginThrottle({ clock }, options.throttle);
  const authenticate = new Authenticate({ node: 'node-a', clock, store, tokens });
  const presence = new Presence({ ...context, store });
  return {
    clock,
    audit,
    store,
    hasher,
    throttle,
    presence,
    authenticate,
    register: new Register({ ...context, store, hasher }),
    login: new Login({ ...context, store, hasher, tokens, throttle }),
    logout: new Logout({ ...context, store, authenticate }),
    unregister: new Unregister({ ...context, store, hasher, authenticate, throttle, files: options.files }),
    listUsers: new ListUsers({ node: 'node-a', store, presence }),
  };
}
