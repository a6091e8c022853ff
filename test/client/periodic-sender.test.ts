import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicSender, systemTimers, validatePeriodicOptions, type OutgoingPayload, type PeriodicStop } from '../../src/main/core/client/periodic-sender';
import { compileTemplate, createTemplateState } from '../../src/main/core/client/template';

describe('PeriodicSender (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function recorder() {
    const sent: Array<{ at: number; payload: OutgoingPayload; index: number }> = [];
    const stops: PeriodicStop[] = [];
    const send = (payload: OutgoingPayload, index: number) => {
      sent.push({ at: Date.now(), payload, index });
    };
    return { sent, stops, send, events: { onStop: (s: PeriodicStop) => stops.push(s) } };
  }

  it("polls like ntopng's poll(3000): first message at start, then every 3 s", () => {
    const r = recorder();
    const p = new PeriodicSender({ intervalMs: 3000, message: { type: 'text', text: '{"poll":true}' } }, r.send, systemTimers, r.events);
    p.start();
    expect(r.sent.map((s) => s.at - 1_000_000)).toEqual([0]);
    vi.advanceTimersByTime(9000);
    expect(r.sent.map((s) => s.at - 1_000_000)).toEqual([0, 3000, 6000, 9000]);
    expect(r.sent.map((s) => s.index)).toEqual([1, 2, 3, 4]);
    p.stop();
    vi.advanceTimersByTime(10_000);
    expect(r.sent).toHaveLength(4);
    expect(r.stops).toEqual([{ reason: 'stopped', sent: 4, skipped: 0 }]);
    expect(p.state).toBe('stopped');
  });

  it("sends RRR's 'alive' a fixed number of times, optionally after one interval, then completes", () => {
    const r = recorder();
    const p = new PeriodicSender({ intervalMs: 1000, count: 3, sendImmediately: false, message: { type: 'text', text: 'alive' } }, r.send, systemTimers, r.events);
    p.start();
    expect(r.sent).toHaveLength(0);
    vi.advanceTimersByTime(5000);
    expect(r.sent.map((s) => [s.at - 1_000_000, (s.payload as { text: string }).text])).toEqual([
      [1000, 'alive'],
      [2000, 'alive'],
      [3000, 'alive'],
    ]);
    expect(r.stops).toEqual([{ reason: 'completed', sent: 3, skipped: 0 }]);
  });

  it('renders a template afresh for every message', () => {
    const t = compileTemplate('{"seq":{{counter}},"at":{{timestamp}}}');
    if (!t.ok) throw new Error(t.error);
    const r = recorder();
    const state = createTemplateState();
    const p = new PeriodicSender({ intervalMs: 500, count: 3, message: { type: 'template', template: t.value, state } }, r.send, systemTimers, r.events);
    p.start();
    vi.advanceTimersByTime(1000);
    expect(r.sent.map((s) => (s.payload as { text: string }).text)).toEqual([
      '{"seq":1,"at":1000000}',
      '{"seq":2,"at":1000500}',
      '{"seq":3,"at":1001000}',
    ]);
  });

  it('does not drift when the timer fires late', () => {
    const r = recorder();
    const lateTimers = { ...systemTimers, setTimeout: (fn: () => void, ms: number) => globalThis.setTimeout(fn, ms + 40) };
    const p = new PeriodicSender({ intervalMs: 100, message: { type: 'binary', data: new Uint8Array([1]) } }, r.send, lateTimers, r.events);
    p.start();
    vi.advanceTimersByTime(1000);
    p.stop();
    // Each tick is 40 ms late, but the next one is aimed at start + n·100, not last + 100.
    expect(r.sent.map((s) => s.at - 1_000_000)).toEqual([0, 140, 240, 340, 440, 540, 640, 740, 840, 940]);
  });

  it('skips slots missed while an asynchronous send was waiting, instead of bursting', async () => {
    const stops: PeriodicStop[] = [];
    const times: number[] = [];
    let release: () => void = () => undefined;
    const send = () => {
      times.push(Date.now() - 1_000_000);
      if (times.length === 2) return new Promise<void>((res) => (release = res)); // back-pressure on the 2nd
      return undefined;
    };
    const p = new PeriodicSender({ intervalMs: 100, message: { type: 'text', text: 'x' } }, send, systemTimers, { onStop: (s) => stops.push(s) });
    p.start();
    await vi.advanceTimersByTimeAsync(100); // 2nd send starts, blocks
    await vi.advanceTimersByTimeAsync(350); // now t=450
    release();
    await vi.advanceTimersByTimeAsync(60); // t=510
    p.stop();
    // Slots 200 and 300 are skipped; the latest missed one (400) goes out late, once, at 450;
    // then the grid resumes at 500.
    expect(times).toEqual([0, 100, 450, 500]);
    expect(stops[0]).toMatchObject({ reason: 'stopped', skipped: 2 });
  });

  it('stops with the error when a send fails', async () => {
    const stops: PeriodicStop[] = [];
    let n = 0;
    const p = new PeriodicSender(
      { intervalMs: 10, message: { type: 'text', text: 'x' } },
      () => {
        if (++n === 3) throw new Error('socket is not open (CLOSING)');
      },
      systemTimers,
      { onStop: (s) => stops.push(s) },
    );
    p.start();
    vi.advanceTimersByTime(100);
    expect(stops).toEqual([{ reason: 'error', sent: 2, skipped: 0, error: 'socket is not open (CLOSING)' }]);

    const asyncStops: PeriodicStop[] = [];
    const q = new PeriodicSender({ intervalMs: 10, message: { type: 'text', text: 'x' } }, () => Promise.reject(new Error('write EPIPE')), systemTimers, {
      onStop: (s) => asyncStops.push(s),
    });
    q.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(asyncStops).toEqual([{ reason: 'error', sent: 0, skipped: 0, error: 'write EPIPE' }]);
  });

  it('validates its options in words', () => {
    expect(validatePeriodicOptions({ intervalMs: 0, message: { type: 'text', text: '' } })).toMatch(/^interval: 0 is not a whole number of milliseconds between 1 and/);
    expect(validatePeriodicOptions({ intervalMs: 10, count: -1, message: { type: 'text', text: '' } })).toMatch(/^count: -1/);
    expect(() => new PeriodicSender({ intervalMs: 1.5, message: { type: 'text', text: '' } }, () => undefined)).toThrow(RangeError);
    const p = new PeriodicSender({ intervalMs: 10, message: { type: 'text', text: '' } }, () => undefined);
    p.start();
    expect(() => p.start()).toThrow(/already running/);
    p.stop();
  });
});
