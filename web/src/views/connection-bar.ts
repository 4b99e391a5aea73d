import type { ConnState } from '../../../src/client/index.js';
import type { AppState } from '../state.js';
import type { Ui } from './ui.js';

const ANNOUNCE: Record<ConnState, string> = {
  idle: 'Connecting to the node',
  connecting: 'Connecting to the node',
  open: 'Connected to the node',
  waiting: 'Disconnected from the node; reconnecting automatically',
  offline: 'Offline; will reconnect when the network is back',
  closed: 'Disconnected from the node',
};

/**
 * The top bar: which node this page talks to and whether it is connected. While waiting to reconnect it
 * counts down each second; screen readers hear only real changes of state.
 */
export class ConnectionBar {
  #announced: ConnState | undefined;
  #countdown: ReturnType<typeof setInterval> | undefined;
  #selfSig = '';
  #drawn: AppState['conn'] | undefined;

  constructor(
    private readonly ui: Ui,
    reconnectNow: () => void,
  ) {
    ui.reconnectNow.addEventListener('click', reconnectNow);
  }

  render(state: AppState): void {
    const { ui } = this;
    const { conn, self } = state;
    const selfSig = JSON.stringify([self?.id, self?.url]);
    if (self && selfSig !== this.#selfSig) {
      this.#selfSig = selfSig;
      ui.selfId.textContent = self.id;
      ui.selfUrl.textContent = self.url;
      ui.selfUrl.title = self.url;
    }
    if (conn === this.#drawn) return;
    this.#drawn = conn;
    if (conn.state !== this.#announced) {
      this.#announced = conn.state;
      ui.connAnnounce.textContent = ANNOUNCE[conn.state];
    }
    ui.connState.dataset.state = conn.state;
    // Failed attempts since the connection was last open (what "attempt N" counts from).
    ui.connState.dataset.attempt = String(conn.failures);
    ui.reconnectNow.hidden = conn.state === 'open' || conn.state === 'connecting' || conn.state === 'idle';
    ui.send.disabled = conn.state !== 'open';
    document.body.dataset.conn = conn.state;
    clearInterval(this.#countdown);
    this.#countdown = undefined;
    const text = (): string => {
      if (conn.state === 'open') return 'Connected';
      if (conn.state === 'connecting' || conn.state === 'idle')
        return conn.failures === 0 ? 'Connecting…' : `Reconnecting… (attempt ${conn.failures + 1})`;
      if (conn.state === 'closed') return conn.lastError ? `Disconnected: ${conn.lastError}` : 'Disconnected';
      const secs = Math.max(1, Math.ceil(((conn.retryAt ?? Date.now()) - Date.now()) / 1000));
      return conn.state === 'offline'
        ? `Offline · retrying in ${secs}s`
        : `Disconnected · retrying in ${secs}s`;
    };
    ui.connText.textContent = text();
    if (conn.state === 'waiting' || conn.state === 'offline') {
      this.#countdown = setInterval(() => {
        ui.connText.textContent = text();
      }, 1000);
    }
  }
}
