import type { InternalErrors } from '../ports/internal-errors.js';
import type { Telemetry } from '../ports/telemetry.js';

/**
 * One `Telemetry` that tells each of `parts` (each may implement only some events). A part that throws is
 * reported to `errors` and does not keep the others, or the use case, from going on.
 */
export function fanOutTelemetry(parts: readonly Partial<Telemetry>[], errors: InternalErrors): Telemetry {
  const each =
    <K extends keyof Telemetry>(key: K) =>
    (...args: Parameters<Telemetry[K]>): void => {
      for (const part of parts) {
        try {
          (part[key] as ((...a: Parameters<Telemetry[K]>) => void) | undefined)?.(...args);
        } catch (error) {
          errors.report(error);
        }
      }
    };
  return {
    messageAccepted: each('messageAccepted'),
    deliveredLocally: each('deliveredLocally'),
    copyQueued: each('copyQueued'),
    copySettled: each('copySettled'),
    probed: each('probed'),
    viewReceived: each('viewReceived'),
  };
}
