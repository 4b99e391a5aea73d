const SVG_NS = 'http://www.w3.org/2000/svg';

export function byId<T extends Element>(doc: Document, id: string, ctor: { new (): T }): T {
  const found = doc.getElementById(id);
  if (!(found instanceof ctor)) throw new Error(`meshchat: missing #${id}`);
  return found;
}

/** An element with its text set as text: strings from the network never go through innerHTML. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
}

/** Puts `children` into `parent` in this order, moving only what is out of place (focus and clicks survive). */
export function reconcile(parent: Element, children: readonly Element[]): void {
  children.forEach((child, i) => {
    if (parent.children[i] !== child) parent.insertBefore(child, parent.children[i] ?? null);
  });
  while (parent.children.length > children.length) parent.lastElementChild?.remove();
}
