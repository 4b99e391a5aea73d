/** A node on the map: members are `alive` or `suspect`; a node that is gone is `dead` or `left`. */
export interface MeshNodeView {
  readonly id: string;
  readonly url: string;
  readonly state: 'alive' | 'suspect' | 'dead' | 'left';
}

/** `from` lists `to` as a member. */
export interface MeshLink {
  readonly from: string;
  readonly to: string;
}

export interface MeshGraph {
  readonly nodes: readonly MeshNodeView[];
  readonly links: readonly MeshLink[];
}
