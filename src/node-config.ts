/** Everything a node needs to start; `src/cli/node-command.ts` builds it from flags and environment. */
export interface NodeConfig {
  readonly id: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** The URL to announce when no tunnel is open; default `http://127.0.0.1:<port>`. */
  readonly publicUrl?: string;
  /** Seeds: nodes of the network(s) to join. */
  readonly join: readonly string[];
  readonly tunnel: 'none' | 'ngrok';
  readonly ngrokAuthtoken?: string;
  readonly ngrokDomain?: string;
  readonly dataDir?: string;
  readonly maxBodyBytes?: number;
  readonly leaveTimeoutMs?: number;
  readonly peerTimeoutMs?: number;
}
