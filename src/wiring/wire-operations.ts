import { AuditLog } from '../adapters/log/audit-log.js';
import { LoggedInternalErrors } from '../adapters/log/logged-internal-errors.js';
import type { Logger } from '../adapters/log/logger.js';
import { type MetricsSources, PromMetrics } from '../adapters/metrics/prom-metrics.js';
import { CheckHealth, type PhaseBox, RecentErrors } from '../application/operations/check-health.js';
import { MeshMap } from '../application/operations/mesh-map.js';
import { fanOutTelemetry } from '../application/operations/telemetry.js';
import type { Clock } from '../application/ports/clock.js';
import type { InternalErrors } from '../application/ports/internal-errors.js';
import type { Telemetry } from '../application/ports/telemetry.js';
import type { PeerRegistry } from '../domain/peer-registry.js';

export interface OperationsParts {
  readonly registry: PeerRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  /** Read when scraped or checked: the courier is built after the telemetry it reports to. */
  readonly outboxDepth: () => number;
  /** Users connected now, per front end (read when scraped or checked). */
  readonly users: MetricsSources['users'];
  /** Process metrics (CPU, memory, event loop) in `/metrics`; on by default. */
  readonly processMetrics?: boolean;
  /** The peer links this node opened and the calls by transport (read when scraped). */
  readonly peerLinks?: MetricsSources['peerLinks'];
  /** Advertised by the health check (`files.maxFileSize`). */
  readonly maxFileSize?: number;
  /** Network key proofs refused, by why (read when scraped); absent on a node without a key. */
  readonly networkKeyRefusals?: MetricsSources['networkKeyRefusals'];
}

/** What operators read (health, metrics, the mesh map, the audit log) and where internal errors go. */
export interface OperationsWiring {
  readonly recentErrors: RecentErrors;
  readonly errors: InternalErrors;
  /** Set by the node's lifecycle, read by the health check. */
  readonly phase: PhaseBox;
  readonly metrics: PromMetrics;
  readonly meshMap: MeshMap;
  /** Everything the use cases report, told to the metrics, the audit log and the mesh map. */
  readonly telemetry: Telemetry;
  readonly health: CheckHealth;
}

export function wireOperations(parts: OperationsParts): OperationsWiring {
  const { registry, clock, log, outboxDepth, users, processMetrics, peerLinks, maxFileSize } = parts;
  const { networkKeyRefusals } = parts;
  const recentErrors = new RecentErrors();
  const errors = new LoggedInternalErrors({ log, recent: recentErrors, clock });
  const phase: PhaseBox = { phase: 'starting' };
  const metrics = new PromMetrics({
    registry,
    outboxDepth,
    users,
    processMetrics,
    peerLinks,
    ...(networkKeyRefusals ? { networkKeyRefusals } : {}),
  });
  const meshMap = new MeshMap(registry);
  const telemetry = fanOutTelemetry([metrics, new AuditLog(log, registry), meshMap], errors);
  const health = new CheckHealth({
    registry,
    clock,
    phase: () => phase.phase,
    outboxDepth,
    users: () => Object.values(users()).reduce((a, b) => a + b, 0),
    errors: recentErrors,
    bornAt: clock.now(),
    ...(maxFileSize === undefined ? {} : { maxFileSize }),
  });
  return { recentErrors, errors, phase, metrics, meshMap, telemetry, health };
}
