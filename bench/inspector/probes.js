/* global document, window, requestAnimationFrame, HTMLInputElement */
/**
 * In-page probes for bench/inspector.bench.ts, installed before any page script
 * (page.addInitScript). Plain JavaScript: the bench's TypeScript runs in Node,
 * and functions serialised from it would carry its helpers.
 *  - long tasks (PerformanceObserver 'longtask'),
 *  - animation frame times (for frames per second),
 *  - capture-to-visible latency: in each animation frame, every row newer than
 *    those seen so far that is on screen gives now - its capture time
 *    (data-time, wall-clock milliseconds stamped by the main side).
 */
(() => {
  const probe = { longTasks: [], frames: [], latency: [], arrival: [], seen: -1, since: 0, sampling: false };
  window.__probe = probe;

  // Batch arrival: the capture time of the newest row in each event batch against when it arrived,
  // to tell the host's share of the latency from the page's.
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        // Batches with frames come in the bridge's binary form (src/shared/bridge-protocol.ts): "FSB1",
        // JSON length, row count; the time column follows the JSON at the next multiple of 8. Pages of
        // rows come this way too: only event batches count.
        if (!probe.sampling || !(e.data instanceof ArrayBuffer) || e.data.byteLength < 32) return;
        const head = new DataView(e.data);
        if (head.getUint32(0, true) !== 0x31425346) return;
        if (String.fromCharCode(...new Uint8Array(e.data, 16, 16)) !== '{"type":"events"') return;
        const count = head.getUint32(8, true);
        if (count === 0) return;
        const timesAt = (16 + head.getUint32(4, true) + 7) & ~7;
        const last = head.getFloat64(timesAt + (count - 1) * 8, true);
        if (last >= probe.since) probe.arrival.push(performance.timeOrigin + performance.now() - last);
      });
    }
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });

  const tick = (t) => {
    probe.frames.push(t);
    if (probe.sampling) {
      const now = performance.timeOrigin + performance.now();
      let max = probe.seen;
      for (const el of document.querySelectorAll('[data-testid="frame-row"]')) {
        const id = Number(el.dataset.id);
        const time = Number(el.dataset.time);
        if (id > probe.seen && time >= probe.since) {
          probe.latency.push(now - time);
          if (id > max) max = id;
        }
      }
      probe.seen = max;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);

  /** Starts a measured phase: forget earlier tasks and samples, and count only rows newer than those on screen. */
  window.__startPhase = () => {
    probe.longTasks = [];
    probe.latency = [];
    probe.arrival = [];
    probe.since = performance.timeOrigin + performance.now();
    let max = -1;
    for (const el of document.querySelectorAll('[data-testid="frame-row"]')) max = Math.max(max, Number(el.dataset.id));
    probe.seen = max;
    probe.sampling = true;
    return performance.now();
  };

  window.__endPhase = (since) => {
    probe.sampling = false;
    const panel = document.querySelector('[data-testid="naive-panel"]');
    return {
      longTasks: probe.longTasks.filter((t) => t.start >= since).map((t) => t.duration),
      latency: probe.latency,
      arrival: probe.arrival,
      count: panel ? Number(panel.dataset.count) : 0,
    };
  };

  /** A data attribute of the element with a test id (undefined when there is none yet). */
  window.__attr = (testId, key) => document.querySelector(`[data-testid="${testId}"]`)?.dataset[key];

  window.__framesPerSecond = (from) => {
    const to = performance.now();
    return (probe.frames.filter((t) => t >= from && t <= to).length / (to - from)) * 1000;
  };

  /** Types a filter and waits for the animation frame in which its rows are drawn; ms from the input event, -1 on timeout. */
  window.__timeFilter = async (value, naive, timeoutMs) => {
    const input = document.querySelector('[data-testid="frame-filter"]');
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const t0 = performance.now();
    setter.call(input, value);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const pattern = JSON.stringify(value.replace(/^\/(.*)\/[a-z]*$/, '$1')).slice(1, -1);
    for (;;) {
      await new Promise((r) => requestAnimationFrame(r));
      if (performance.now() - t0 > timeoutMs) return -1;
      if (naive) {
        if (document.querySelector('[data-testid="naive-panel"]').dataset.filter === value) return performance.now() - t0;
        continue;
      }
      const panel = document.querySelector('[data-testid="frames-panel"]');
      const body = document.querySelector('[data-testid="frame-body"]');
      const state = panel.dataset.filterState;
      const applied = value === '' ? state === 'idle' : (state === 'live' || state === 'error') && panel.dataset.filterQuery.includes(pattern);
      if (applied && body.dataset.pending === '0') return performance.now() - t0;
    }
  };
})();
