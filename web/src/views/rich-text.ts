import { el } from '../dom.js';

/** http(s) URLs in running text; what follows a URL's last letter (a full stop, a bracket) is not part of it. */
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/giu;
const TRAILING = /[.,;:!?)\]}'"»”’]+$/u;

/** The link's target, or undefined when `text` is not an absolute http or https URL. */
export function linkTarget(text: string): string | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Message text as DOM nodes: plain text, with http and https URLs as links that open in a new tab and tell
 * the other site nothing about this page. Built with DOM calls only; no other scheme ever becomes a link.
 */
export function richText(text: string): Node[] {
  const nodes: Node[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index;
    const raw = match[0].replace(TRAILING, '');
    const href = linkTarget(raw);
    if (!href) continue;
    if (start > last) nodes.push(document.createTextNode(text.slice(last, start)));
    const a = el('a', 'msg-link', raw);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    nodes.push(a);
    last = start + raw.length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}
