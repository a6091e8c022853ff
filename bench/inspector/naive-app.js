/* global document, location */
/**
 * The naive baseline for bench/inspector.bench.ts: how a WebSocket inspector
 * is commonly written. One message per frame over the socket, each appended
 * to an array of row objects held in React state; every render filters the
 * whole array with Array.filter and renders every matching row (no
 * virtualisation); the list follows new rows by scrolling to the bottom.
 * It is meant to be slow, and is measured honestly with the same probes.
 * Plain JavaScript (createElement, no JSX): the bench bundles it with esbuild as is.
 */
import { createElement as h, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';

function compile(filter) {
  const m = /^\/(.+)\/([a-z]*)$/.exec(filter);
  try {
    return m ? new RegExp(m[1], m[2]) : new RegExp(filter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  } catch {
    return null;
  }
}

function App() {
  const [rows, setRows] = useState([]);
  const [filter, setFilter] = useState('');
  const body = useRef(null);

  useEffect(() => {
    const socket = new WebSocket(`ws://${location.host}/feed`);
    socket.onmessage = (event) => {
      const row = JSON.parse(String(event.data));
      setRows((previous) => [...previous, row]);
    };
    return () => socket.close();
  }, []);

  const shown = useMemo(() => {
    const re = filter ? compile(filter) : null;
    return re ? rows.filter((r) => re.test(r.payload)) : rows;
  }, [rows, filter]);

  useEffect(() => {
    const el = body.current;
    if (el && el.dataset.follow !== 'false') el.scrollTop = el.scrollHeight;
  });

  return h(
    'div',
    { style: { display: 'flex', flexDirection: 'column', height: '100vh', font: '12px monospace' } },
    h('input', { 'data-testid': 'frame-filter', value: filter, onChange: (e) => setFilter(e.target.value), placeholder: 'filter' }),
    h('div', { 'data-testid': 'naive-panel', 'data-count': rows.length, 'data-shown': shown.length, 'data-filter': filter, style: { display: 'none' } }),
    h(
      'div',
      {
        ref: body,
        'data-testid': 'frame-body',
        style: { flex: 1, overflow: 'auto' },
        onScroll: (e) => {
          const el = e.currentTarget;
          el.dataset.follow = el.scrollTop + el.clientHeight >= el.scrollHeight - 30 ? 'true' : 'false';
        },
      },
      h(
        'table',
        null,
        h(
          'tbody',
          null,
          shown.map((r) =>
            h(
              'tr',
              { key: r.id, 'data-testid': 'frame-row', 'data-id': r.id, 'data-time': r.time },
              h('td', null, new Date(r.time).toISOString()),
              h('td', null, r.connection),
              h('td', null, r.direction),
              h('td', null, r.opcode),
              h('td', null, `${r.fin ? 'FIN' : ''}${r.rsv1 ? ' R1' : ''}${r.masked ? ' M' : ''}`),
              h('td', null, r.length),
              h('td', null, r.payload.slice(0, 80)),
            ),
          ),
        ),
      ),
    ),
  );
}

createRoot(document.getElementById('root')).render(h(App));
