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
  const parent: number[] = [0];
  const find = (a: number): number => {
    while (parent[a] !== a) {
      parent[a] = parent[parent[a]];
      a = parent[a];
    }
    return a;
  };
  const union = (a: number, b: number): number => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return ra;
    const [lo, hi] = ra < rb ? [ra, rb] : [rb, ra];
    parent[hi] = lo;
    return lo;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!mask[i]) continue;
      // Already-visited neighbours: W, NW, N, NE.
      let l = 0;
      const see = (j: number) => {
        const m = labels[j];
        if (m) l = l ? union(l, m) : find(m);
      };
      if (x > 0) see(i - 1);
      if (y > 0) {
        if (x > 0) see(i - width - 1);
        see(i - width);
        if (x < width - 1) see(i - width + 1);
      }
      if (!l) {
        l = parent.length;
        parent.push(l);
      }
      labels[i] = l;
    }
  }
  // Flatten to dense labels and gather statistics.
  const dense = new Int32Array(parent.length);
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
