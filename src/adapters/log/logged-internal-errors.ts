import type { RecentErrors } from '../../application/operations/check-health.js';
import type { Clock } from '../../application/ports/clock.js';
import type { InternalErrors } from '../../application/ports/internal-errors.js';
import type { Logger } from './logger.js';

/** Internal errors are logged at `error` and counted for the health check (`/healthz` reports recent ones). */
export class LoggedInternalErrors implements InternalErrors {
  constructor(private readonly deps: { log: Logger; recent: RecentErrors; clock: Clock }) {}

  report(error: unknown): void {
    this.deps.recent.note(this.deps.clock.now());
    this.deps.log.error({ err: error }, 'internal error');
  }
}
