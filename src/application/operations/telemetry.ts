import type { InternalErrors } from '../ports/internal-errors.js';
import type { Telemetry } from '../ports/telemetry.js';

/**
 * One `Telemetry` that tells each of `parts` (each may implement only some events). A part that throws is
 * reported to `errors` and does not keep the others, or the use case, from going on.
 */
export function fanOutTelemetry(parts: readonly Partial<Telemetry>[], errors: InternalErrors): Telemetry {
  // Every event has at most three arguments: passed as they are, without a rest array per call (per message).
  const each =
    <K extends keyof Telemetry>(key: K) =>
    (a?: unknown, b?: unknown, c?: unknown): void => {
      for (const part of parts) {
        const tell = part[key] as ((a?: unknown, b?: unknown, c?: unknown) => void) | undefined;
        if (tell === undefined) continue;
        try {
          tell.call(part, a, b, c);
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
