// The list of known nodes, kept in memory. At the start it only holds this node.
export const me = { id: null, url: null };
export const nodes = [];

export function findNode(id) {
  return nodes.find((n) => n.id === id);
}

export function addNode(id, url) {
  const node = findNode(id);
  if (node) node.url = url;
  else nodes.push({ id, url });
}

export function removeNode(id, url) {
  const i = nodes.findIndex((n) => n.id === id && n.url === url);
  if (i >= 0) nodes.splice(i, 1);
}
