// The baseline agent of `npm run bench -- one` (bench/one-resource.ts): the least a Node process can do for one
// resource reading one key. It watches the key with the store's plain client (etcd3's watch, or Consul blocking
// queries by fetch), writes `<confdir>/out/one` with the same safe write as keyplate (stage 0600, write, fsync,
// chmod, rename, directory fsync) and logs what keyplate logs for the bench: `waiting for /one/v`, `updated`.
// No template, no config, no key store, no compare. Takes keyplate's arguments:
// --backend etcd|consul --node ADDRESS --confdir DIR.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
const backend = arg('--backend');
const node = arg('--node');
const out = path.join(arg('--confdir'), 'out');
const dest = path.join(out, 'one');
const key = '/one/v';

function safeWrite(value) {
  const stage = path.join(out, `.one.${process.pid}`);
  const fd = fs.openSync(stage, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, `${value}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(stage, 0o644);
  fs.renameSync(stage, dest);
  const dir = fs.openSync(out, fs.constants.O_RDONLY);
  fs.fsyncSync(dir);
  fs.closeSync(dir);
  process.stderr.write(`updated ${dest}\n`);
}

const waiting = () => process.stderr.write(`waiting for ${key}\n`);

async function etcd() {
  const { Etcd3 } = require('etcd3');
  const client = new Etcd3({ hosts: node });
  const value = await client.get(key).string();
  if (value === null) waiting();
  else safeWrite(value);
  const watcher = await client.watch().key(key).create();
  watcher.on('put', (kv) => safeWrite(kv.value.toString()));
  watcher.on('delete', waiting);
}

async function consul() {
  const url = `http://${node}/v1/kv${key}`;
  let index = '0';
  let last;
  for (;;) {
    const response = await fetch(`${url}?index=${index}&wait=5m`);
    const next = response.headers.get('x-consul-index') ?? '0';
    if (Number(next) < Number(index)) index = '0';
    else index = next;
    if (response.status === 404) {
      await response.arrayBuffer();
      if (last !== null) waiting();
      last = null;
      continue;
    }
    const [entry] = await response.json();
    const value = Buffer.from(entry.Value ?? '', 'base64').toString();
    if (value !== last) safeWrite(value);
    last = value;
  }
}

process.once('SIGTERM', () => process.exit(0));
(backend === 'etcd' ? etcd() : consul()).catch((error) => {
  process.stderr.write(`bare agent: ${error.stack}\n`);
  process.exit(1);
});
