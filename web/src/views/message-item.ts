import { el } from '../dom.js';
import { formatBytes, hhmm, hueClass, shortWhen, utf8Bytes } from '../format.js';
import type { MessageItem } from '../state.js';
import { fileCard } from './file-card.js';
import { richText } from './rich-text.js';
import { borrowedAddress, senderLabel } from './sender-label.js';
import { canResend, tickOf } from './tick.js';

const LONG_MESSAGE_CHARS = 2500;

/** One message in the log; `update` redraws what can change after it was built (its id and its tick). */
export interface MessageView {
  readonly li: HTMLLIElement;
  update(): void;
}

function clampToggle(text: HTMLElement, msg: string): HTMLButtonElement {
  const full = `Show full message (${formatBytes(utf8Bytes(msg))})`;
  text.classList.add('is-clamped');
  const more = el('button', 'btn btn-link msg-more', full);
  more.type = 'button';
  more.setAttribute('aria-expanded', 'false');
  more.addEventListener('click', () => {
    const expanded = text.classList.toggle('is-clamped') === false;
    more.setAttribute('aria-expanded', expanded ? 'true' : 'false');
    more.textContent = expanded ? 'Show less' : full;
  });
  return more;
}

/**
 * A message: who sent it (a name is the sender's own words: `dir="auto"` lays right-to-left names and text
 * out as such), from which node (` ✓` when its signature was verified), when, the text with its links, and
 * for a message sent from this node its tick; a send of this page that failed or expired offers to send it again.
 */
export function messageView(item: MessageItem, onResend: (item: MessageItem) => void): MessageView {
  const m = item.message;
  const mine = item.sent !== undefined;
  const li = el('li', mine ? 'msg mine' : 'msg');
  li.dataset.from = m.from;
  li.dataset.to = m.to;
  li.dataset.mine = mine ? 'true' : 'false';

  const meta = el('div', 'msg-meta');
  const who = el('span', 'msg-user', senderLabel(item));
  who.dir = 'auto';
  if (!m.user && !mine) who.classList.add('is-anon');
  if (!mine && borrowedAddress(m.user, m.from)) {
    who.classList.add('is-anon');
    who.title = `Not the account ${m.user}: a display name in a message from node ${m.from}`;
  }
  const from = el('span', `msg-from ${hueClass(m.from)}`, `@${m.from}`);
  from.title = `sent from node ${m.from}`;
  if (m.verified) {
    // The node checked the origin's signature: `@node` (and a direct message's sender) is who sent it.
    from.append(el('span', 'msg-verified', ' ✓'));
    from.title = `sent from node ${m.from}, signature verified`;
    li.dataset.verified = 'true';
  }
  const time = new Date(item.time);
  const today = time.toDateString() === new Date().toDateString();
  const t = el('time', 'msg-time', today ? hhmm(time) : `${shortWhen(item.time)} ${hhmm(time)}`);
  t.dateTime = time.toISOString();
  t.title = time.toLocaleString();
  meta.append(who, from, t);

  const text = el('div', 'msg-text');
  text.dir = 'auto';
  text.append(...richText(m.msg));
  li.append(meta, text);
  if (m.msg.length > LONG_MESSAGE_CHARS) li.append(clampToggle(text, m.msg));
  if (m.file) li.append(fileCard(m.file));

  const sent = item.sent;
  if (!sent) {
    if (m.id) li.dataset.id = m.id;
    return { li, update: () => {} };
  }
  const tick = el('div', 'tick');
  const resend = el('button', 'btn btn-link resend', 'Send again');
  resend.type = 'button';
  resend.dataset.testid = 'resend';
  resend.addEventListener('click', () => onResend(item));
  const footer = el('div', 'msg-foot');
  footer.append(tick, resend);
  li.append(footer);
  let drawn = -1;
  const update = (): void => {
    if (sent.id) li.dataset.id = sent.id;
    const { status, text: words } = tickOf(sent);
    const offer = sent.byThisPage && canResend(status) && !item.resent;
    const version = sent.version * 2 + (offer ? 1 : 0);
    if (version === drawn) return;
    drawn = version;
    tick.dataset.status = status;
    li.dataset.status = status;
    tick.textContent = item.resent ? `${words} · sent again` : words;
    resend.hidden = !offer;
    resend.setAttribute('aria-label', `Send again: ${m.msg.slice(0, 80)}`);
  };
  update();
  return { li, update };
}
