#!/usr/bin/env node
// @mtcute/convert opening tdata folders, timed, for benches/tdata_passcode.rs (BENCHMARKS.md).
//
//     node benches/tdata_mtcute.js DIR PASSCODE_FILE
//
// DIR is a folder where @mtcute/convert 0.29.7 is installed as .ci/run installs it
// (target/ci-node/mtcute-convert-0.29.7: @mtcute/convert, @mtcute/core and @mtcute/node, whose
// crypto provider is the default one, node's OpenSSL). Prints one JSON line naming the library
// and node, then, for each line of standard input (a folder's path), opens that folder once
// (`Tdata.open({ path, passcode })`, which derives the passcode's key and decrypts the account
// list, then `readMtpAuthorization` of the first account) and prints one JSON line: the
// opening's wall-clock seconds (`performance.now`), the process's CPU seconds for it
// (`process.cpuUsage`, every thread: node's PBKDF2 runs on its thread pool) and the user id read,
// which the caller checks. The caller interleaves these openings with the other libraries' and
// its own. The passcode is read from a file, never the command line. Nothing reaches the
// network: before the package is loaded, every way out of the process throws.
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const readline = require('node:readline');
const { pathToFileURL } = require('node:url');
const { performance } = require('node:perf_hooks');

function noNetwork(what) {
  return () => {
    throw new Error(`the benchmark allows no network access (${what})`);
  };
}
require('node:net').Socket.prototype.connect = noNetwork('net.Socket.connect');
require('node:dns').lookup = noNetwork('dns.lookup');
require('node:dns').promises.lookup = noNetwork('dns.promises.lookup');
require('node:http').request = noNetwork('http.request');
require('node:https').request = noNetwork('https.request');
globalThis.fetch = noNetwork('fetch');

const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function main(dir, passcodeFile) {
  const modules = path.join(path.resolve(dir), 'node_modules', '@mtcute');
  const { Tdata } = await import(pathToFileURL(path.join(modules, 'convert', 'index.js')).href);
  const version = JSON.parse(fs.readFileSync(path.join(modules, 'convert', 'package.json'), 'utf8'))
    .version;
  const passcode = fs.readFileSync(passcodeFile, 'utf8').split('\n')[0].replace(/\r$/, '');
  reply({ library: `@mtcute/convert ${version}`, runtime: `node ${process.version.slice(1)}` });
  for await (const folder of readline.createInterface({ input: process.stdin, terminal: false })) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const tdata = await Tdata.open({ path: folder, passcode });
    const auth = await tdata.readMtpAuthorization(tdata.keyData.order[0]);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    reply({
      seconds,
      cpu_seconds: (used.user + used.system) / 1e6,
      user_id: Number(auth.userId.toString()),
    });
  }
}

if (process.argv.length !== 4) {
  process.stderr.write('usage: tdata_mtcute.js DIR PASSCODE_FILE\n');
  process.exit(2);
}
main(process.argv[2], process.argv[3]).catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
