#!/usr/bin/env node
// Driver for @mtcute/convert's Pyrogram session strings (spec/conformance.md §8): the
// `string_codec` profile. mtcute reads and writes no Pyrogram session file.
//
//     pyrosession conform --driver "node spec/drivers/mtcute_convert.js DIR"
//
// DIR is a folder where `npm install @mtcute/convert@0.29.7` was run (.ci/run makes
// target/ci-node/mtcute-convert-0.29.7). What is driven:
// - decode_string: parsePyrogramSession(string), the parser that convertFromPyrogramSession runs
//   first; convertFromPyrogramSession then keeps only what an mtcute session holds (it drops
//   api_id, and turns dc_id into an address from its table: `undefined` for a dc_id outside 1-5),
//   so its result cannot be compared field by field with Pyrogram's.
// - encode_string: convertToPyrogramSession(session, { apiId }), with `session` the mtcute
//   session object that convertFromPyrogramSession would give for these fields.
// The library is offline; the driver makes sure: before loading it, every way out of the
// process (sockets, DNS, fetch, http) throws.
'use strict';

const path = require('node:path');
const readline = require('node:readline');
const fs = require('node:fs');
const { pathToFileURL } = require('node:url');

function noNetwork(what) {
  return () => {
    throw new Error(`the driver allows no network access (${what})`);
  };
}
require('node:net').Socket.prototype.connect = noNetwork('net.Socket.connect');
require('node:dns').lookup = noNetwork('dns.lookup');
require('node:dns').promises.lookup = noNetwork('dns.promises.lookup');
require('node:http').request = noNetwork('http.request');
require('node:https').request = noNetwork('https.request');
globalThis.fetch = noNetwork('fetch');

// The package as installed in DIR, loaded as the ES module it is (its CommonJS bundle is
// deprecated and says so on the console).
const dir = path.resolve(process.argv[2] || process.env.MTCUTE_CONVERT_DIR || '.');
const home = path.join(dir, 'node_modules', '@mtcute', 'convert');
const version = JSON.parse(fs.readFileSync(path.join(home, 'package.json'), 'utf8')).version;
let convert;

class Failure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

// Any exception of the parser is a rejection of the string (spec/conformance.md §3.3).
function decode(s) {
  let p;
  try {
    p = convert.parsePyrogramSession(s);
  } catch (e) {
    throw new Failure('invalid_string', `${e.name}: ${e.message}`);
  }
  return {
    dc_id: p.dcId,
    api_id: p.apiId === undefined ? null : p.apiId,
    test_mode: p.isTest,
    auth_key: hex(p.authKey),
    user_id: p.userId,
    is_bot: p.isBot,
  };
}

function encode(f) {
  const dcs = f.test_mode ? convert.DC_MAPPING_TEST : convert.DC_MAPPING_PROD;
  // The session convertFromPyrogramSession builds; a dc_id outside the table gets the
  // address-less entry mtcute would need to hold it.
  const primaryDcs = dcs[f.dc_id] || { main: { id: f.dc_id, ipAddress: '', port: 443, testMode: f.test_mode || undefined } };
  const session = {
    version: 3,
    primaryDcs,
    authKey: f.auth_key === null ? null : Uint8Array.from(Buffer.from(f.auth_key, 'hex')),
    self: f.user_id === null && f.is_bot === null ? null : { userId: f.user_id, isBot: f.is_bot, isPremium: false, usernames: [] },
  };
  try {
    return convert.convertToPyrogramSession(session, { apiId: f.api_id === null ? undefined : f.api_id });
  } catch (e) {
    throw new Failure(e.name === 'MtArgumentError' ? 'missing_field' : 'other', `${e.name}: ${e.message}`);
  }
}

const OPS = {
  hello: () => ({ implementation: `@mtcute/convert ${version}`, protocol: 2, profiles: ['string_codec'] }),
  decode_string: (req) => decode(req.session_string),
  encode_string: (req) => encode(req.session),
};

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
    process.stdout.write(JSON.stringify(resp) + '\n');
  });
}

import(pathToFileURL(path.join(home, 'index.js')).href).then((module) => {
  convert = module;
  serve();
});
