/** One 8-connected region of a binary mask, with what the digit finder asks of it. */
export interface Component {
  label: number;
  area: number;
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
  /** Pixels within `band` of the image's edge. */
  inBand: number;
}

/**
 * Labels the 8-connected components of a mask (two passes with union-find, Rosenfeld and Pfaltz):
 * `labels[i]` is 0 for background, else the component's label (1-based, dense).
 *
 * @example
 * const { labels, components } = connectedComponents(mask, width, height, 2);
 */
export function connectedComponents(
  mask: Uint8Array,
  width: number,
  height: number,
  band = 0,
): { labels: Int32Array; components: Component[] } {
  const labels = new Int32Array(width * height);
  let parent = new Int32Array(256);
  let next = 1;
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]];
      a = parent[a];
    }
    return a;
  };
  // Joins the label so far (0: none yet) with a neighbour's, returning the smaller root.
  const join = (l: number, m: number): number => {
    if (!m) return l;
    const rm = find(m);
    if (!l) return rm;
    const rl = find(l);
    if (rl === rm) return rl;
    if (rl < rm) {
      parent[rm] = rl;
      return rl;
    }
    parent[rl] = rm;
    return rm;
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (!mask[i]) continue;
      // Already-visited neighbours: W, NW, N, NE.
      let l = x > 0 ? join(0, labels[i - 1]) : 0;
      if (y > 0) {
        const up = i - width;
        if (x > 0) l = join(l, labels[up - 1]);
        l = join(l, labels[up]);
        if (x < width - 1) l = join(l, labels[up + 1]);
      }
      if (!l) {
        if (next === parent.length) {
          const bigger = new Int32Array(parent.length * 2);
          bigger.set(parent);
          parent = bigger;
        }
        l = next++;
        parent[l] = l;
      }
      labels[i] = l;
    }
  }
  // Flatten to dense labels and gather statistics.
  const dense = new Int32Array(next);
  const components: Component[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const root = find(labels[i]);
    let d = dense[root];
    if (!d) {
      d = dense[root] = components.length + 1;
      components.push({ label: d, area: 0, minX: width, maxX: -1, minY: height, maxY: -1, inBand: 0 });
    }
    labels[i] = d;
    const x = i % width;
    const y = (i - x) / width;
    const c = components[d - 1];
    c.area++;
    if (x < c.minX) c.minX = x;
    if (x > c.maxX) c.maxX = x;
    if (y < c.minY) c.minY = y;
    if (y > c.maxY) c.maxY = y;
    if (x < band || y < band || x >= width - band || y >= height - band) c.inBand++;
  }
  return { labels, components };
}
