import { byCodeUnits } from '../format.js';

export interface Point {
  x: number;
  y: number;
}

export const NODE_R = 18;
const MESH_MIN = { width: 420, height: 340 };

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** This node at the top, the others clockwise in id order, on one circle sized so neighbours keep apart. */
export function circleLayout(
  ids: string[],
  selfId: string | undefined,
): { pos: Map<string, Point>; radius: number } {
  const order = [...ids].sort((a, b) => {
    if (a === selfId) return -1;
    if (b === selfId) return 1;
    return byCodeUnits(a, b);
  });
  const n = order.length;
  const radius = n <= 1 ? 0 : Math.max(n === 2 ? 80 : 115, (n * 70) / (2 * Math.PI));
  const pos = new Map<string, Point>();
  order.forEach((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n);
    pos.set(id, { x: round1(radius * Math.cos(angle)), y: round1(radius * Math.sin(angle)) });
  });
  return { pos, radius };
}

/** Labels go above the nodes in the circle's upper part (edges leave them downwards), below the others. */
export function labelAbove(p: Point, radius: number): boolean {
  return radius > 0 && p.y < -radius * 0.3;
}

/** The drawing's box with room for labels, at least MESH_MIN wide and high so a small mesh is not blown up. */
export function meshViewBox(pos: Map<string, Point>, radius: number): string {
  let minX = 0;
  let maxX = 0;
  let minY = 0;
  let maxY = 0;
  for (const p of pos.values()) {
    const above = labelAbove(p, radius);
    minX = Math.min(minX, p.x - NODE_R - 70);
    maxX = Math.max(maxX, p.x + NODE_R + 70);
    minY = Math.min(minY, p.y - NODE_R - (above ? 40 : 10));
    maxY = Math.max(maxY, p.y + NODE_R + (above ? 10 : 36));
  }
  const width = Math.max(MESH_MIN.width, maxX - minX);
  const height = Math.max(MESH_MIN.height, maxY - minY);
  const x = (minX + maxX) / 2 - width / 2;
  const y = (minY + maxY) / 2 - height / 2;
  return `${round1(x)} ${round1(y)} ${round1(width)} ${round1(height)}`;
}

/** A straight arrow from `a` to `b`; when both list each other, two gentle curves each bent to its left. */
export function edgePath(a: Point, b: Point, mutual: boolean): string {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  if (!mutual) {
    const ux = dx / len;
    const uy = dy / len;
    const sx = a.x + ux * (NODE_R + 2);
    const sy = a.y + uy * (NODE_R + 2);
    const ex = b.x - ux * (NODE_R + 3);
    const ey = b.y - uy * (NODE_R + 3);
    return `M${round1(sx)},${round1(sy)}L${round1(ex)},${round1(ey)}`;
  }
  const bend = Math.min(24, len * 0.12);
  const cx = (a.x + b.x) / 2 + (dy / len) * bend;
  const cy = (a.y + b.y) / 2 - (dx / len) * bend;
  const toward = (from: Point, gap: number): Point => {
    const vx = cx - from.x;
    const vy = cy - from.y;
    const l = Math.hypot(vx, vy) || 1;
    return { x: from.x + (vx / l) * gap, y: from.y + (vy / l) * gap };
  };
  const s = toward(a, NODE_R + 2);
  const e = toward(b, NODE_R + 3);
  return `M${round1(s.x)},${round1(s.y)}Q${round1(cx)},${round1(cy)} ${round1(e.x)},${round1(e.y)}`;
}
