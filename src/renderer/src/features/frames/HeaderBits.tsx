/**
 * The frame header bit by bit, laid out like the diagram in RFC 6455 §5.2:
 * 32 bits a line, each field's bits together with its name and value.
 */

interface Field {
  name: string;
  bits: number;
  value: string;
  className: string;
}

function fieldsOf(header: Uint8Array): Field[] {
  const b0 = header[0] ?? 0;
  const b1 = header[1] ?? 0;
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  const fields: Field[] = [
    { name: 'FIN', bits: 1, value: String(b0 >> 7), className: 'f-fin' },
    { name: 'RSV1', bits: 1, value: String((b0 >> 6) & 1), className: 'f-rsv' },
    { name: 'RSV2', bits: 1, value: String((b0 >> 5) & 1), className: 'f-rsv' },
    { name: 'RSV3', bits: 1, value: String((b0 >> 4) & 1), className: 'f-rsv' },
    { name: 'opcode', bits: 4, value: `0x${(b0 & 0x0f).toString(16)}`, className: 'f-op' },
    { name: 'MASK', bits: 1, value: masked ? '1' : '0', className: 'f-mask' },
    { name: 'payload len', bits: 7, value: len7 === 126 ? '126 → 16-bit' : len7 === 127 ? '127 → 64-bit' : String(len7), className: 'f-len' },
  ];
  let at = 2;
  if (len7 === 126 && header.length >= 4) {
    fields.push({ name: 'extended payload length', bits: 16, value: String((header[2] << 8) | header[3]), className: 'f-ext' });
    at = 4;
  } else if (len7 === 127 && header.length >= 10) {
    let n = 0n;
    for (let i = 2; i < 10; i++) n = (n << 8n) | BigInt(header[i]);
    fields.push({ name: 'extended payload length', bits: 64, value: n.toString(), className: 'f-ext' });
    at = 10;
  }
  if (masked && header.length >= at + 4) {
    const key = [...header.subarray(at, at + 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    fields.push({ name: 'masking key', bits: 32, value: key, className: 'f-key' });
  }
  return fields;
}

export function HeaderBits({ headerHex }: { headerHex: string }) {
  const header = Uint8Array.from(headerHex.match(/../g) ?? [], (h) => parseInt(h, 16));
  if (header.length < 2) return null;
  const fields = fieldsOf(header);
  // One cell per bit, in wire order; each knows its field.
  const cells: Array<{ bit: number; field: Field; first: boolean }> = [];
  let bitIndex = 0;
  for (const field of fields) {
    for (let i = 0; i < field.bits; i++) {
      const byte = header[bitIndex >> 3];
      cells.push({ bit: (byte >> (7 - (bitIndex & 7))) & 1, field, first: i === 0 });
      bitIndex++;
    }
  }
  const lines: (typeof cells)[] = [];
  for (let i = 0; i < cells.length; i += 32) lines.push(cells.slice(i, i + 32));
  return (
    <div className="header-bits" data-testid="header-bits">
      <div className="bit-ruler">
        {Array.from({ length: 32 }, (_, i) => (
          <span key={i}>{i % 8 === 0 ? i : ''}</span>
        ))}
      </div>
      {lines.map((line, li) => (
        <div className="bit-line" key={li}>
          {line.map((cell, i) => (
            <span key={i} className={`bit ${cell.field.className} ${cell.first ? 'first' : ''}`} title={`${cell.field.name} = ${cell.field.value}`}>
              {cell.bit}
            </span>
          ))}
        </div>
      ))}
      <dl className="bit-legend">
        {fields.map((f) => (
          <div key={f.name} className={f.className}>
            <dt>
              <span className="swatch" /> {f.name} <span className="muted">({f.bits} bit{f.bits > 1 ? 's' : ''})</span>
            </dt>
            <dd>{f.value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
