#!/usr/bin/env node
// Telegram Desktop tdata folders made and read by real @mtcute/convert (spec/tdata.md §11).
//
// DIR is a folder where `npm install @mtcute/convert@0.29.7 @mtcute/core@0.29.7` was run (.ci/run
// makes target/ci-node/mtcute-convert-0.29.7):
//
//     node spec/oracle/tdata_mtcute.js DIR make OUT_DIR
//         writes the fixture folders OUT_DIR/<name>/ and prints their manifest entries (the
//         mtcute part of spec/fixtures/tdata/manifest.json) on standard output;
//     node spec/oracle/tdata_mtcute.js DIR read FOLDER [PASSCODE_FILE] [--key-name NAME]
//         reads FOLDER with mtcute's `Tdata.open({ path, passcode, dataKey })` and
//         `readMtpAuthorization(i)` for each index of its account list, and prints, as JSON, each
//         account's index, user id, main data center and the id of its main key (the low 64 bits
//         of its SHA-1, MTProto's auth_key_id: never a key). The passcode, where there is one,
//         is read from a file, never taken on the command line.
//
// mtcute is driven through its own storage class only: `Tdata.create({ path, passcode, dataKey,
// keyData })`, then `writeMtpAuthorization` (every key the account has, which `convertToTdata`
// narrows to the main one) and `writeEmptyMapFile` per account. Nothing reaches the network:
// before the package is loaded, every way out of the process (sockets, DNS, fetch, http) throws.
// The local key, the salts and the padding are random (mtcute draws them from node's crypto),
// so every run writes other bytes for the same logins; the manifest records the logins, the
// files' names and sizes and each file's SHA-256 as made.
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const crypto = require('node:crypto');
const { pathToFileURL } = require('node:url');

function noNetwork(what) {
  return () => {
    throw new Error(`the oracle allows no network access (${what})`);
  };
}
require('node:net').Socket.prototype.connect = noNetwork('net.Socket.connect');
require('node:dns').lookup = noNetwork('dns.lookup');
require('node:dns').promises.lookup = noNetwork('dns.promises.lookup');
require('node:http').request = noNetwork('http.request');
require('node:https').request = noNetwork('https.request');
globalThis.fetch = noNetwork('fetch');

// Test data, not secrets: made-up ids, keys that are byte patterns, a passcode written here
// (the one spec/oracle/tdata_opentele.py writes).
const PASSCODE = 'correct horse battery staple';

const key = (seed) => Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 7 + seed) % 256));
const keyId = (raw) =>
  crypto.createHash('sha1').update(raw).digest().subarray(12, 20).reverse().toString('hex');

// name -> [passcode or null, key file name or null, [[user id, main dc, [[dc, key seed]]]]]
const FIXTURES = {
  'mtcute-0.29.7': [null, null, [[123456789, 2, [[2, 20], [4, 21]]]]],
  'mtcute-0.29.7-passcode': [PASSCODE, null, [[123456789, 2, [[2, 20], [4, 21]]]]],
  'mtcute-0.29.7-multi': [null, null, [
    [111111111, 1, [[1, 30]]],
    [6000000000, 5, [[5, 31], [2, 32]]],
    [333333333, 4, [[4, 33]]],
  ]],
  'mtcute-0.29.7-key-name': [null, 'work', [[222222222, 3, [[3, 40]]]]],
};

async function load(dir) {
  const modules = path.join(path.resolve(dir), 'node_modules', '@mtcute');
  const convert = await import(pathToFileURL(path.join(modules, 'convert', 'index.js')).href);
  const core = await import(pathToFileURL(path.join(modules, 'core', 'index.js')).href);
  const version = JSON.parse(fs.readFileSync(path.join(modules, 'convert', 'package.json'), 'utf8'))
    .version;
  return { Tdata: convert.Tdata, Long: core.Long, version };
}

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

async function make(dir, out) {
  const { Tdata, Long, version } = await load(dir);
  const entries = [];
  for (const [name, [passcode, dataKey, logins]] of Object.entries(FIXTURES)) {
    const folder = path.join(out, name);
    const options = { path: folder, keyData: { count: logins.length, order: logins.map((_, i) => i), active: 0 } };
    if (passcode !== null) options.passcode = passcode;
    if (dataKey !== null) options.dataKey = dataKey;
    const tdata = await Tdata.create(options);
    for (const [i, [userId, mainDc, keys]] of logins.entries()) {
      await tdata.writeMtpAuthorization({
        userId: Long.fromString(String(userId)),
        mainDcId: mainDc,
        authKeys: keys.map(([dc, seed]) => ({ dcId: dc, key: key(seed) })),
        authKeysToDestroy: [],
      }, i);
      await tdata.writeEmptyMapFile(i);
    }
    const files = walk(folder).sort();
    entries.push({
      folder: name,
      library: '@mtcute/convert',
      version,
      passcode,
      key_name: dataKey,
      file_version: 5008003,
      accounts: logins.map(([userId, mainDc, keys], index) => ({
        index,
        user_id: userId,
        main_dc: mainDc,
        keys: keys.map(([dc, seed]) => ({ dc_id: dc, key: key(seed).toString('hex'), key_id: keyId(key(seed)) })),
      })),
      files: files.map((p) => ({
        name: path.relative(folder, p),
        size: fs.statSync(p).size,
        sha256: crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex'),
      })),
    });
  }
  process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
}

async function read(dir, folder, rest) {
  const { Tdata } = await load(dir);
  const options = { path: folder };
  const at = rest.indexOf('--key-name');
  if (at >= 0) {
    options.dataKey = rest[at + 1];
    rest.splice(at, 2);
  }
  if (rest.length > 0) {
    options.passcode = fs.readFileSync(rest[0], 'utf8').replace(/\r?\n[\s\S]*$/, '');
  }
  const tdata = await Tdata.open(options);
  const accounts = [];
  for (const index of tdata.keyData.order) {
    const auth = await tdata.readMtpAuthorization(index);
    const main = auth.authKeys.find((k) => k.dcId === auth.mainDcId);
    accounts.push({
      index,
      user_id: Number(auth.userId.toString()),
      main_dc: auth.mainDcId,
      main_key_id: keyId(Buffer.from(main.key)),
    });
  }
  process.stdout.write(`${JSON.stringify({ accounts })}\n`);
}

const [dir, command, ...args] = process.argv.slice(2);
const done = command === 'make' && args.length === 1 ? make(dir, args[0])
  : command === 'read' && args.length >= 1 ? read(dir, args[0], args.slice(1))
  : null;
if (done === null) {
  process.stderr.write('usage: tdata_mtcute.js DIR make OUT_DIR | DIR read FOLDER [PASSCODE_FILE] [--key-name NAME]\n');
  process.exit(2);
}
done.catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
