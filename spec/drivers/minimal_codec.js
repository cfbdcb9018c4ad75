#!/usr/bin/env node
// A complete minimal driver for the `string_codec` profile (spec/conformance.md §8), in
// JavaScript. The implementation it drives is its own Pyrogram 2.0.106 string codec, written
// from spec/session-string.md alone (§6.1 layout by length, §6.2 Python's non-validating base64,
// §6.3 unpacking), with nothing but Node.js (18 or later):
//
//     pyrosession conform --driver "node spec/drivers/minimal_codec.js"
//
// Copy it, keep `serve` and the shape of each operation, and replace `decode` and `encode` with
// calls into your implementation. CI runs it through the suite; it agrees with Pyrogram on every
// string of the corpus and passes every `string_codec` scenario.
'use strict';

const readline = require('node:readline');

class Failure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// session-string §6.2: binascii.a2b_base64 without strict mode, both alphabets.
function pythonB64decode(t) {
  const value = (c) => {
    if (c >= 65 && c <= 90) return c - 65;
    if (c >= 97 && c <= 122) return c - 71;
    if (c >= 48 && c <= 57) return c + 4;
    if (c === 43 || c === 45) return 62;
    if (c === 47 || c === 95) return 63;
    return -1;
  };
  const out = [];
  let quad = 0, left = 0, pads = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 61) { // '='
      if (quad >= 2 && quad + ++pads >= 4) return Uint8Array.from(out);
      continue;
    }
    const v = value(c);
    if (v < 0) continue;
    pads = 0;
    if (quad === 0) { left = v; quad = 1; }
    else if (quad === 1) { out.push((left << 2) | (v >> 4)); left = v & 0x0f; quad = 2; }
    else if (quad === 2) { out.push(((left << 4) | (v >> 2)) & 0xff); left = v & 0x03; quad = 3; }
    else { out.push(((left << 6) | v) & 0xff); left = 0; quad = 0; }
  }
  if (quad === 1) throw new Failure('invalid_string', `binascii.Error: number of data characters (${(out.length / 3) * 4 + 1}) cannot be 1 more than a multiple of 4`);
  if (quad !== 0) throw new Failure('invalid_string', 'binascii.Error: Incorrect padding');
  return Uint8Array.from(out);
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

// session-string §6: the six fields Pyrogram's MemoryStorage.open reads from a string.
function decode(s) {
  if (s.length === 0) throw new Failure('invalid_string', 'the empty string holds no session');
  if (/[^\x00-\x7f]/.test(s)) throw new Failure('invalid_string', 'ValueError: string argument should contain only ASCII characters');
  const format = s.length === 351 ? 'legacy32' : s.length === 356 ? 'legacy64' : 'v2';
  const raw = pythonB64decode(s + '='.repeat((4 - (s.length % 4)) % 4));
  const size = { legacy32: 263, legacy64: 267, v2: 271 }[format];
  if (raw.length !== size) throw new Failure('invalid_string', `struct.error: unpack requires a buffer of ${size} bytes`);
  const dv = new DataView(raw.buffer);
  const at = format === 'v2' ? 5 : 1; // test_mode's offset
  const userId = format === 'legacy32' ? BigInt(dv.getUint32(at + 257)) : dv.getBigUint64(at + 257);
  if (userId >= 2n ** 63n) throw new Failure('invalid_string', 'OverflowError: Python int too large to convert to SQLite INTEGER');
  return {
    dc_id: raw[0],
    api_id: format === 'v2' ? dv.getUint32(1) : null,
    test_mode: raw[at] !== 0,
    auth_key: hex(raw.subarray(at + 1, at + 257)),
    user_id: userId, // a BigInt: written as a JSON integer by `reply`
    is_bot: raw[size - 1] !== 0,
    format,
  };
}

// storage §7.2: the v2 string of six fields, as export_session_string writes it.
function encode(session) {
  for (const field of ['dc_id', 'api_id', 'test_mode', 'auth_key', 'user_id', 'is_bot']) {
    if (session[field] === null || session[field] === undefined) throw new Failure('missing_field', `${field} is not set`);
  }
  const { dc_id: dc, api_id: api, auth_key: key } = session;
  const user = BigInt(session.user_id);
  if (!(dc >= 0 && dc < 256 && api >= 0 && api < 2 ** 32 && user >= -(2n ** 63n) && user < 2n ** 63n && /^[0-9a-f]{512}$/.test(key))) {
    throw new Failure('missing_field', 'a field is out of range');
  }
  const raw = new Uint8Array(271);
  const dv = new DataView(raw.buffer);
  raw[0] = dc;
  dv.setUint32(1, api);
  raw[5] = session.test_mode ? 1 : 0;
  raw.set(Buffer.from(key, 'hex'), 6);
  dv.setBigInt64(262, user);
  raw[270] = session.is_bot ? 1 : 0;
  return Buffer.from(raw).toString('base64url');
}

const OPS = {
  hello: () => ({ implementation: 'minimal-codec-js 1.0', protocol: 2, profiles: ['string_codec'] }),
  decode_string: (req) => decode(req.session_string),
  encode_string: (req) => encode(req.session),
};

// JSON with BigInts as plain integers (a user id may exceed 2^53).
const stringify = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `@big:${x}` : x)).replace(/"@big:(-?\d+)"/g, '$1');

function serve() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const req = JSON.parse(line);
    let resp;
    try {
      const op = OPS[req.op];
      if (!op) throw new Failure('unsupported', `unknown operation ${req.op}`);
      resp = { id: req.id, ok: op(req) ?? null };
    } catch (e) {
      resp = { id: req.id, error: { kind: e instanceof Failure ? e.kind : 'other', message: String(e) } };
    }
    process.stdout.write(stringify(resp) + '\n');
  });
}

serve();
