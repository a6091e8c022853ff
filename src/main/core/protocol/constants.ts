/**
 * The one table of RFC 6455 / RFC 7692 constants: header bit masks, opcodes,
 * close codes and the violations the frame decoder can report.
 *
 * Everything that names a protocol number lives here so that the decoder, the
 * crafter, the records and the UI all agree on names and meanings.
 */

/** Who sent the bytes being decoded or encoded. */
export type Direction = 'client' | 'server';

// ---------------------------------------------------------------------------
// Header bit masks (RFC 6455 §5.2, base framing protocol)
// ---------------------------------------------------------------------------

/** Byte 0, bit 7: this is the final fragment of a message. */
export const FIN_MASK = 0b1000_0000;
/** Byte 0, bits 6..4: the three reserved bits (RSV1..RSV3). */
export const RSV_MASK = 0b0111_0000;
/** Byte 0, bit 6: RSV1; RFC 7692 §6 uses it as the "Per-Message Compressed" bit. */
export const RSV1_MASK = 0b0100_0000;
/** Byte 0, bit 5: RSV2. */
export const RSV2_MASK = 0b0010_0000;
/** Byte 0, bit 4: RSV3. */
export const RSV3_MASK = 0b0001_0000;
/** Byte 0, bits 3..0: the opcode. */
export const OPCODE_MASK = 0b0000_1111;
/** Byte 1, bit 7: the payload is masked and a 4-byte masking key follows the length. */
export const MASK_BIT = 0b1000_0000;
/** Byte 1, bits 6..0: the 7-bit payload length (126 and 127 announce extended lengths). */
export const LENGTH_MASK = 0b0111_1111;

/** RFC 6455 §5.2: a 7-bit length of 126 means "a 16-bit length follows". */
export const LENGTH_16_MARKER = 126;
/** RFC 6455 §5.2: a 7-bit length of 127 means "a 64-bit length follows". */
export const LENGTH_64_MARKER = 127;
/** RFC 6455 §5.5: control frames carry at most 125 bytes. */
export const MAX_CONTROL_PAYLOAD = 125;
/** RFC 6455 §5.2: the largest header: 2 + 8 (64-bit length) + 4 (masking key). */
export const MAX_HEADER_LENGTH = 14;
/** RFC 7692 §7.2.2: the tail a sender strips and a receiver appends before inflating (do not modify). */
export const DEFLATE_TRAILER: Uint8Array = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

// ---------------------------------------------------------------------------
// Opcodes (RFC 6455 §5.2, §11.8)
// ---------------------------------------------------------------------------

export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

export type OpcodeKind = 'data' | 'control' | 'reserved-data' | 'reserved-control';

export interface OpcodeInfo {
  readonly value: number;
  readonly name: string;
  /** RFC 6455 §5.2: 0x3-0x7 are reserved non-control, 0xB-0xF reserved control opcodes. */
  readonly kind: OpcodeKind;
  readonly meaning: string;
}

function reservedOpcode(value: number): OpcodeInfo {
  const control = value >= 0x8;
  const hex = value.toString(16).toUpperCase();
  return {
    value,
    name: `reserved-0x${hex}`,
    kind: control ? 'reserved-control' : 'reserved-data',
    meaning: control ? 'reserved for further control frames (RFC 6455 §5.2)' : 'reserved for further non-control frames (RFC 6455 §5.2)',
  };
}

/** Indexed by opcode value 0..15. */
export const OPCODES: readonly OpcodeInfo[] = Object.freeze([
  { value: 0x0, name: 'continuation', kind: 'data', meaning: 'continues a fragmented message (RFC 6455 §5.4)' },
  { value: 0x1, name: 'text', kind: 'data', meaning: 'a text message, UTF-8 (RFC 6455 §5.6)' },
  { value: 0x2, name: 'binary', kind: 'data', meaning: 'a binary message (RFC 6455 §5.6)' },
  reservedOpcode(0x3),
  reservedOpcode(0x4),
  reservedOpcode(0x5),
  reservedOpcode(0x6),
  reservedOpcode(0x7),
  { value: 0x8, name: 'close', kind: 'control', meaning: 'starts or answers the closing handshake (RFC 6455 §5.5.1)' },
  { value: 0x9, name: 'ping', kind: 'control', meaning: 'asks the peer for a pong (RFC 6455 §5.5.2)' },
  { value: 0xa, name: 'pong', kind: 'control', meaning: 'answers a ping or acts as a heartbeat (RFC 6455 §5.5.3)' },
  reservedOpcode(0xb),
  reservedOpcode(0xc),
  reservedOpcode(0xd),
  reservedOpcode(0xe),
  reservedOpcode(0xf),
]);

const OPCODE_NAMES: readonly string[] = OPCODES.map((o) => o.name);

export function opcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode & OPCODE_MASK];
}

/** RFC 6455 §5.5: opcodes with the high bit set (0x8-0xF) are control frames. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

export function isReservedOpcode(opcode: number): boolean {
  return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xb;
}

// ---------------------------------------------------------------------------
// Close codes (RFC 6455 §7.4, IANA "WebSocket Close Code Number Registry")
// ---------------------------------------------------------------------------

export interface CloseCodeInfo {
  readonly value: number;
  readonly name: string;
  readonly meaning: string;
  /** May this code appear in a Close frame on the wire (RFC 6455 §7.4.1, §7.4.2)? */
  readonly onWire: boolean;
}

/** The codes with a defined meaning. 3000-4999 are valid on the wire but have no fixed meaning. */
export const CLOSE_CODES: readonly CloseCodeInfo[] = Object.freeze([
  { value: 1000, name: 'Normal Closure', meaning: 'the purpose for which the connection was established has been fulfilled', onWire: true },
  { value: 1001, name: 'Going Away', meaning: 'the endpoint is going away (server shutting down, browser leaving the page)', onWire: true },
  { value: 1002, name: 'Protocol Error', meaning: 'the endpoint is terminating the connection due to a protocol error', onWire: true },
  { value: 1003, name: 'Unsupported Data', meaning: 'the endpoint received a type of data it cannot accept', onWire: true },
  { value: 1004, name: 'Reserved', meaning: 'reserved; the meaning might be defined in the future (RFC 6455 §7.4.1)', onWire: false },
  { value: 1005, name: 'No Status Received', meaning: 'reported locally when a Close frame carried no status code; MUST NOT be sent (RFC 6455 §7.4.1)', onWire: false },
  { value: 1006, name: 'Abnormal Closure', meaning: 'reported locally when the connection closed without a Close frame; MUST NOT be sent (RFC 6455 §7.4.1)', onWire: false },
  { value: 1007, name: 'Invalid Frame Payload Data', meaning: 'a message contained data inconsistent with its type (e.g. non-UTF-8 in a text message)', onWire: true },
  { value: 1008, name: 'Policy Violation', meaning: 'a message violated the endpoint\'s policy', onWire: true },
  { value: 1009, name: 'Message Too Big', meaning: 'a message was too big to process', onWire: true },
  { value: 1010, name: 'Mandatory Extension', meaning: 'the client expected the server to negotiate one or more extensions', onWire: true },
  { value: 1011, name: 'Internal Error', meaning: 'the server met an unexpected condition that prevented it from fulfilling the request', onWire: true },
  { value: 1012, name: 'Service Restart', meaning: 'the service is restarting (IANA registry)', onWire: true },
  { value: 1013, name: 'Try Again Later', meaning: 'the service is overloaded; try again later (IANA registry)', onWire: true },
  { value: 1014, name: 'Bad Gateway', meaning: 'a gateway or proxy received an invalid response from upstream (IANA registry)', onWire: true },
  { value: 1015, name: 'TLS Handshake', meaning: 'reported locally when the TLS handshake failed; MUST NOT be sent (RFC 6455 §7.4.1)', onWire: false },
]);

const CLOSE_CODE_BY_VALUE: ReadonlyMap<number, CloseCodeInfo> = new Map(CLOSE_CODES.map((c) => [c.value, c]));

/**
 * What a close code means. Codes outside the table are described by the range
 * they fall into (RFC 6455 §7.4.2).
 */
export function closeCodeInfo(code: number): CloseCodeInfo {
  const known = CLOSE_CODE_BY_VALUE.get(code);
  if (known) return known;
  if (code >= 3000 && code <= 3999) {
    return { value: code, name: 'Registered', meaning: 'reserved for libraries, frameworks and applications, registered with IANA (RFC 6455 §7.4.2)', onWire: true };
  }
  if (code >= 4000 && code <= 4999) {
    return { value: code, name: 'Private Use', meaning: 'reserved for private use by applications (RFC 6455 §7.4.2)', onWire: true };
  }
  if (code >= 1000 && code <= 2999) {
    return { value: code, name: 'Unassigned', meaning: 'reserved for this protocol and its extensions, not assigned (RFC 6455 §7.4.2)', onWire: false };
  }
  return { value: code, name: 'Invalid', meaning: 'outside every range RFC 6455 §7.4.2 defines', onWire: false };
}

/**
 * RFC 6455 §7.4.1/§7.4.2: may `code` appear in a Close frame? 1000-1003 and
 * 1007-1014 may; 1004-1006 and 1015 never; 3000-4999 may; nothing else may.
 */
export function isValidCloseCodeOnWire(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

// ---------------------------------------------------------------------------
// Violations: what the decoder reports instead of throwing (DESIGN conventions 4)
// ---------------------------------------------------------------------------

/** The close code a receiving endpoint would use (1006 is local only: the stream just ended). */
export type ViolationCloseCode = 1002 | 1006 | 1007 | 1009;

export interface ViolationInfo {
  readonly closeCode: ViolationCloseCode;
  /** The rule broken, quoted with its section. */
  readonly rule: string;
  /** Plain words for the person reading the capture. */
  readonly explanation: string;
  /**
   * Would a conforming endpoint fail the connection here? Non-fatal findings
   * are reported and decoding continues.
   */
  readonly fatal: boolean;
}

export const VIOLATIONS = {
  WS_ERR_INVALID_OPCODE: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved; "If an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_."',
    explanation: 'The frame uses a reserved opcode that no extension defines.',
    fatal: true,
  },
  WS_ERR_UNEXPECTED_RSV_1: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.2: RSV1, RSV2, RSV3 "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values."',
    explanation: 'RSV1 is set but no extension that gives it a meaning (such as permessage-deflate) was negotiated.',
    fatal: true,
  },
  WS_ERR_UNEXPECTED_RSV_2_3: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.2: RSV1, RSV2, RSV3 "MUST be 0 unless an extension is negotiated that defines meanings for non-zero values."',
    explanation: 'RSV2 or RSV3 is set but no negotiated extension defines them (permessage-deflate uses only RSV1).',
    fatal: true,
  },
  WS_ERR_RSV1_NOT_FIRST_FRAME: {
    closeCode: 1002,
    rule: 'RFC 7692 §6: "An endpoint MUST NOT set the "Per-Message Compressed" bit of control frames and non-first fragments of a data message."',
    explanation: 'RSV1 (compressed) is set on a control frame or a continuation frame; only the first frame of a data message may carry it.',
    fatal: true,
  },
  WS_ERR_UNEXPECTED_CONTINUATION: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.4: a fragmented message starts with a non-continuation opcode; continuation frames (opcode 0x0) only follow such a frame.',
    explanation: 'A continuation frame arrived while no fragmented message was in progress.',
    fatal: true,
  },
  WS_ERR_EXPECTED_CONTINUATION: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.4: "the fragments of one message MUST NOT be interleaved between the fragments of another message unless an extension has been negotiated that can interpret the interleaving."',
    explanation: 'A new text or binary frame started while a fragmented message was still waiting for its continuation frames.',
    fatal: true,
  },
  WS_ERR_EXPECTED_FIN: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."',
    explanation: 'A control frame (close, ping, pong) has FIN clear; control frames cannot be fragmented.',
    fatal: true,
  },
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented."',
    explanation: 'A control frame declares more than 125 bytes of payload.',
    fatal: true,
  },
  WS_ERR_INVALID_CLOSE_PAYLOAD_LENGTH: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte unsigned integer (in network byte order) representing a status code."',
    explanation: 'The close frame has a 1-byte body: too short to hold a status code.',
    fatal: true,
  },
  WS_ERR_INVALID_CLOSE_CODE: {
    closeCode: 1002,
    rule: 'RFC 6455 §7.4.1/§7.4.2: only 1000-1003, 1007-1014 and 3000-4999 may be sent; 1004-1006 and 1015 MUST NOT be set as a status code in a Close frame; 0-999 are not used and 1016-2999 are unassigned.',
    explanation: 'The close frame carries a status code that may not appear on the wire.',
    fatal: true,
  },
  WS_ERR_INVALID_CLOSE_REASON_UTF8: {
    closeCode: 1007,
    rule: 'RFC 6455 §5.5.1: the close reason after the status code is UTF-8-encoded data; §8.1: an endpoint that finds a byte stream it must interpret as UTF-8 is not valid UTF-8 "MUST _Fail the WebSocket Connection_".',
    explanation: 'The close reason is not valid UTF-8.',
    fatal: true,
  },
  WS_ERR_EXPECTED_MASK: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.1: "a client MUST mask all frames that it sends to the server" and "The server MUST close the connection upon receiving a frame that is not masked."',
    explanation: 'A frame sent by the client is not masked.',
    fatal: true,
  },
  WS_ERR_UNEXPECTED_MASK: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.1: "A server MUST NOT mask any frames that it sends to the client. A client MUST close a connection if it detects a masked frame."',
    explanation: 'A frame sent by the server is masked.',
    fatal: true,
  },
  WS_ERR_NON_MINIMAL_LENGTH: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.2: "in all cases, the minimal number of bytes MUST be used to encode the length".',
    explanation: 'The payload length uses a longer encoding than needed (e.g. 16 bits for a length under 126). Most endpoints, ws among them, accept it, so decoding goes on.',
    fatal: false,
  },
  WS_ERR_LENGTH_MSB_SET: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.2: in the 64-bit extended payload length "the most significant bit MUST be 0".',
    explanation: 'The 64-bit payload length has its top bit set.',
    fatal: true,
  },
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: {
    closeCode: 1009,
    rule: 'RFC 6455 §7.4.1: 1009 "indicates that an endpoint is terminating the connection because it has received a message that is too big for it to process"; §10.4: implementations SHOULD impose a limit on frame and message size.',
    explanation: 'The message is larger than the configured payload limit (checked on the declared length before buffering, and on the inflated size).',
    fatal: true,
  },
  WS_ERR_INVALID_UTF8: {
    closeCode: 1007,
    rule: 'RFC 6455 §5.6: text payload data is "text data encoded as UTF-8"; §8.1: on invalid UTF-8 the endpoint "MUST _Fail the WebSocket Connection_".',
    explanation: 'A text message is not valid UTF-8 (reported at the first byte where the sequence becomes impossible, or at the end if the message stops inside a sequence).',
    fatal: true,
  },
  WS_ERR_INFLATE_FAILED: {
    closeCode: 1007,
    rule: 'RFC 7692 §7.2.2: a compressed payload, with 0x00 0x00 0xff 0xff appended, must inflate as DEFLATE data (RFC 1951); RFC 6455 §7.4.1: 1007 = data inconsistent with the type of the message (the code ws sends for a broken deflate stream).',
    explanation: 'The compressed message does not inflate: the DEFLATE stream is broken or refers back further than the negotiated window.',
    fatal: true,
  },
  WS_ERR_FRAME_AFTER_CLOSE: {
    closeCode: 1002,
    rule: 'RFC 6455 §5.5.1: "The application MUST NOT send any more data frames after sending a Close frame."',
    explanation: 'A data frame follows a Close frame from the same sender. A real peer would ignore it; it is decoded here for inspection.',
    fatal: false,
  },
  WS_ERR_TRUNCATED_FRAME: {
    closeCode: 1006,
    rule: 'RFC 6455 §7.1.5: if the connection is closed and no Close frame was received, the close code is considered to be 1006; the stream ended inside a frame (§5.2 framing).',
    explanation: 'The stream ended in the middle of a frame header or payload.',
    fatal: true,
  },
  WS_ERR_TRUNCATED_MESSAGE: {
    closeCode: 1006,
    rule: 'RFC 6455 §5.4: a fragmented message ends with a frame that has FIN set; §7.1.5: a connection closed without a Close frame is closed with 1006.',
    explanation: 'The stream ended while a fragmented message was still waiting for its final frame.',
    fatal: true,
  },
} as const satisfies Record<string, ViolationInfo>;

export type ViolationCode = keyof typeof VIOLATIONS;
