/**
 * Scroll geometry for a list taller than a browser lets an element be.
 * Chromium caps an element's height at about 33.5 million pixels (Firefox at
 * about 17.9 million); a million rows of 26 px is 26 million, two million is
 * 52. Past a threshold the scroll area is kept at a fixed physical height and
 * positions are scaled: the scrollbar still reaches every row (dragging it is
 * proportional), while the wheel and the keyboard move by real pixels (the
 * table handles them itself), so scrolling feels the same at any length.
 */

/** Well below every engine's cap, and small enough that one physical pixel is a fraction of a row at 2 M rows. */
export const MAX_PHYSICAL_PX = 8_000_000;

export interface ScrollGeometry {
  /** Height the rows would have: rows × row height. */
  virtual: number;
  /** Height of the scroll area in the DOM. */
  physical: number;
  /** True when positions are scaled (virtual > physical). */
  scaled: boolean;
  viewport: number;
}

export function geometry(rows: number, rowHeight: number, viewport: number, maxPhysical = MAX_PHYSICAL_PX): ScrollGeometry {
  const virtual = rows * rowHeight;
  const physical = Math.min(virtual, maxPhysical);
  return { virtual, physical, scaled: virtual > physical, viewport };
}

/** The largest virtual scroll offset (the bottom). */
export function maxVirtualTop(g: ScrollGeometry): number {
  return Math.max(0, g.virtual - g.viewport);
}

export function clampVirtualTop(g: ScrollGeometry, top: number): number {
  return Math.min(maxVirtualTop(g), Math.max(0, top));
}

/** Virtual offset for a physical scrollTop (the person dragged the scrollbar). */
export function virtualFromPhysical(g: ScrollGeometry, scrollTop: number): number {
  if (!g.scaled) return clampVirtualTop(g, scrollTop);
  const maxPhysical = Math.max(1, g.physical - g.viewport);
  return clampVirtualTop(g, (scrollTop / maxPhysical) * maxVirtualTop(g));
}

/** Physical scrollTop that shows a virtual offset. */
export function physicalFromVirtual(g: ScrollGeometry, virtualTop: number): number {
  if (!g.scaled) return virtualTop;
  const maxVirtual = Math.max(1, maxVirtualTop(g));
  return (virtualTop / maxVirtual) * Math.max(0, g.physical - g.viewport);
}

/** Rows to draw for a virtual offset, with some overscan, and where the first one goes. */
export function visibleRange(
  g: ScrollGeometry,
  virtualTop: number,
  rowHeight: number,
  rows: number,
  overscan = 4,
): { first: number; last: number; offset: number } {
  const first = Math.max(0, Math.floor(virtualTop / rowHeight) - overscan);
  const last = Math.min(rows, Math.ceil((virtualTop + g.viewport) / rowHeight) + overscan);
  // Row i is drawn at i * rowHeight - virtualTop inside a layer that stays in view.
  return { first, last, offset: first * rowHeight - virtualTop };
}

/** Is the view at (or within a row of) the bottom? */
export function atBottom(g: ScrollGeometry, virtualTop: number, rowHeight: number): boolean {
  return virtualTop >= maxVirtualTop(g) - rowHeight;
}

/**
 * The paused table is positioned by row id, not by row index: at its byte
 * budget the capture drops its oldest rows as fast as new ones arrive, so an
 * index (or a row count) stays put while the rows under it change. Everything
 * here is a binary search at most (FrameView.lowerBound is O(1) unfiltered),
 * never a pass over the list: it runs on every batch.
 */
export interface IdList {
  readonly length: number;
  /** Oldest id the list can hold (the main side's oldest row). */
  readonly firstId: number;
  idAt(index: number): number;
  /** Index of the first listed id ≥ id (length when none). */
  lowerBound(id: number): number;
}

/** How list rows map to table rows when other rows (log lines) sit among them; identity without. */
export interface RowLayout {
  /** Index of the first list row at or after table row m (length when none). */
  listIndexAt(m: number): number;
  /** Table row of list index i. */
  rowOf(index: number): number;
}

const IDENTITY: RowLayout = { listIndexAt: (m) => m, rowOf: (i) => i };

/** A reading position: the table's top edge is `delta` px below the top of row `id`. */
export interface ScrollAnchor {
  id: number;
  delta: number;
}

/** When following stops: rows listed from this id on are new (one past the newest listed row). */
export function newRowsFrom(list: IdList): number {
  return list.length > 0 ? list.idAt(list.length - 1) + 1 : list.firstId;
}

/** Rows listed now that are new since `from` (survives eviction, clearing and a changed filter). */
export function countNewRows(list: IdList, from: number): number {
  return list.length - list.lowerBound(from);
}

/** The anchor for a virtual offset: the first list row at or below the top edge. */
export function anchorAt(list: IdList, virtualTop: number, rowHeight: number, layout: RowLayout = IDENTITY): ScrollAnchor {
  const index = Math.min(list.length, layout.listIndexAt(Math.max(0, Math.floor(virtualTop / rowHeight))));
  // Past the last row (log lines after it, or an empty list): anchored to whatever arrives next.
  const id = index < list.length ? list.idAt(index) : newRowsFrom(list);
  return { id, delta: virtualTop - layout.rowOf(index) * rowHeight };
}

/** The virtual offset that shows an anchor where it was (unclamped). */
export function anchorTop(list: IdList, anchor: ScrollAnchor, rowHeight: number, layout: RowLayout = IDENTITY): number {
  const index = list.lowerBound(anchor.id);
  // The row itself is gone (evicted, cleared, filtered out): show the row that took its place, from its top.
  const same = index < list.length && list.idAt(index) === anchor.id;
  return Math.max(0, layout.rowOf(index) * rowHeight + (same ? anchor.delta : Math.min(0, anchor.delta)));
}
