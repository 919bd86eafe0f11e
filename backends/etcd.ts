// etcd v3 backend: reads (pinned to one revision, etcd-read.ts) and a watch that resyncs after outages and compaction; the connection is in etcd-client.ts.
import { defaultBackoff, pause, retryDelay, waitOrProbe, type Backoff } from './retry.js';
import { coveringPrefixes, normalizeKey, prefixOf } from '../src/keys/paths.js';
import {
  BackendError,
  type Backend,
  type BackendOptions,
  type WatchEvent,
  type WatchOptions,
} from './types.js';
import {
  name,
  defaultEndpoint,
  type Etcd3Module,
  type Client,
  type Opened,
  resolveEndpoints,
  openClient,
  openWatchStream,
  anyEndpointListens,
  probeInterval,
  explain,
  isPermanent,
} from './etcd-client.js';
import { commandLine, shellQuote } from './cli-hint.js';
import { watchRanges, Spellings } from './etcd-keys.js';
import type { WatchEventKv } from './etcd-decode.js';
import { readPinned, type Snapshot } from './etcd-read.js';

/**
 * A watch stream that has brought nothing for `quietAfter` ms gets a progress request (etcd 3.4+ answers it at
 * once with its current revision); no message at all within `silentAfter` ms of the request means the member has
 * stopped answering (a frozen process, a partition) even though its TCP connection stays open. Checked every
 * `livenessTick` ms: a silent member is noticed within quietAfter + silentAfter + 2·livenessTick ≈ 4 s.
 */
const quietAfter = 1_000;
const silentAfter = 2_000;
const livenessTick = 500;
/** A watch that etcd has not confirmed in this time counts as a silent member, like an unanswered progress request (ms). */
const createTimeout = quietAfter + silentAfter;
/** A member that fell silent is passed over this long while another member may answer (ms). */
const silentPause = 30_000;
type SessionEnd = 'aborted' | 'compacted';

/** An error thrown by the watch's `onEvent`: it ends the watch instead of counting as an outage. */
class ConsumerError extends Error {}
/** etcd refused a watch over a covering range: the user's role grants the prefixes, not the keys between them. */
class CoveringDenied extends Error {}
/** The member holding the watch stream stopped answering; `host` is its `host:port`. */
class MemberSilent extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

export interface EtcdBackendOptions extends BackendOptions {
  /** Where warnings go (two etcd keys read as one keyplate key); default: a `keyplate: warning:` line on stderr. */
  warn?: (message: string) => void;
}

export function createEtcdBackend(options: EtcdBackendOptions): Backend {
  const endpoints = resolveEndpoints(options.nodes, options);
  const where = endpoints.join(', ');
  const backoff: Backoff = { min: options.retryMin ?? defaultBackoff.min, max: options.retryMax ?? defaultBackoff.max };
  const closing = new AbortController();
  const warned = new Set<string>();
  const warn = options.warn ?? ((message: string) => process.stderr.write(`keyplate: warning: [${name}] ${message}\n`));
  /** Each key's warning once per backend, however often it is read. */
  const warnOnce = (key: string, message: string): void => {
    if (warned.has(key)) return;
    warned.add(key);
    warn(message);
  };
  let client: Promise<Opened> | undefined;
  let closed: Promise<void> | undefined;

  async function connect(): Promise<Opened> {
    if (closing.signal.aborted) throw new BackendError(name, `the backend for ${where} is closed`);
    client ??= openClient(endpoints, options).catch((error: unknown) => {
      client = undefined; // a missing package or unreadable file may be fixed before the next try
      throw error;
    });
    return client;
  }

  /** Why a call failed, in words a user can act on; never includes a value. */
  function failure(what: string, error: unknown, lib?: Etcd3Module): BackendError {
    if (error instanceof BackendError) return error;
    return new BackendError(name, `${what} at ${where}: ${explain(error, options, lib)}`, { cause: error, permanent: isPermanent(error, lib) });
  }

  async function read(lib: Etcd3Module, client: Client, covering: readonly string[], spellings = new Spellings(warnOnce)): Promise<Snapshot> {
    try {
      return await readPinned(lib, client, covering, spellings);
    } catch (error) {
      throw failure(`cannot read ${listKeys(covering)}`, error, lib);
    }
  }

  async function getValues(prefixes: readonly string[]): Promise<Map<string, string>> {
    const { lib, client } = await connect();
    return (await read(lib, client, coveringPrefixes(prefixes))).values;
  }

  async function watch(prefixes: readonly string[], { signal: outer, onEvent }: WatchOptions): Promise<void> {
    const covering = coveringPrefixes(prefixes);
    const coveringSet = new Set(covering);
    const signal = AbortSignal.any([outer, closing.signal]);
    if (signal.aborted) return;
    const opened = await connect(); // a missing package is not an outage: it fails the watch at once
    const { lib, client } = opened;
    let mirror: Map<string, string> | undefined;
    const spellings = new Spellings(warnOnce); // which etcd key gives each value the mirror holds
    let resync: 'reset' | 'diff' = 'reset';
    let perPrefix = false; // one watcher per prefix instead of one over all (see CoveringDenied)
    let down = false;
    let downSince = 0;
    let attempt = 0;

    const publish = (snapshot: Snapshot) => {
      if (down) {
        down = false;
        onEvent({ kind: 'status', up: true });
        onEvent({ kind: 'reset', values: new Map(snapshot.values) });
      } else if (mirror === undefined || resync === 'reset') {
        onEvent({ kind: 'reset', values: new Map(snapshot.values) });
      } else {
        // Back after a moment's break that nobody was told about: only what changed meanwhile.
        for (const event of diff(mirror, snapshot.values)) onEvent(event);
      }
      mirror = new Map(snapshot.values);
      resync = 'reset';
    };
    const apply = (event: WatchEventKv) => {
      const raw = event.kv.key.toString();
      const key = normalizeKey(raw);
      if (!mirror || prefixOf(key, coveringSet) === undefined) return;
      if (event.type === 'Put') {
        if (!spellings.take(raw, key, (k) => mirror!.has(k))) return; // another spelling of the key gives its value
        const value = event.kv.value.toString();
        if (mirror.get(key) === value) return; // rewritten with the same value: nothing changed
        mirror.set(key, value);
        onEvent({ kind: 'put', key, value });
      } else if (spellings.drop(raw, key) && mirror.delete(key)) {
        onEvent({ kind: 'delete', key });
      }
    };

    while (!signal.aborted) {
      let established = false;
      try {
        const end = await session(opened, covering, perPrefix, signal, {
          snapshot: () => read(lib, client, covering, spellings),
          publish,
          apply,
          established: () => {
            established = true;
            attempt = 0;
          },
        });
        if (end === 'aborted') return;
        resync = 'reset'; // compacted past our revision: what happened in between is gone, start over
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ConsumerError) throw error.cause;
        if (error instanceof MemberSilent) {
          movePast(error);
          continue;
        }
        if (error instanceof CoveringDenied) {
          perPrefix = true;
          resync = 'diff';
          continue;
        }
        if (established && !down) {
          // A working watch broke: try once more (another member, or the same one back) before calling it an outage.
          resync = 'diff';
          if (!(await pause(retryDelay(0, backoff), signal))) return;
          continue;
        }
        if (!(await outage(error))) return;
      }
    }

    /** The member holding the stream fell silent: its TCP connection looks fine, so nothing else would notice. */
    function movePast(error: MemberSilent): void {
      const member = endpoints.find((e) => e.endsWith(`//${error.host}`)) ?? error.host;
      opened.health.pause(member, silentPause);
      resync = 'diff';
      reportDown(new BackendError(name, `member ${member} ${error.message}; ${endpoints.length > 1 ? 'moving the watch to another member' : 'reconnecting to it'}`));
    }

    function reportDown(error: BackendError): void {
      if (down) return;
      down = true;
      downSince = Date.now();
      onEvent({ kind: 'status', up: false, error });
    }

    /** Say the store is lost (once), then wait before the next try; false when aborted. Throws past retryTimeout. */
    async function outage(error: unknown): Promise<boolean> {
      const lost = failure('lost the watch', error, lib);
      reportDown(lost);
      let delay = retryDelay(attempt++, backoff);
      if (options.retryTimeout !== undefined) {
        const left = options.retryTimeout - (Date.now() - downSince);
        if (left <= 0) {
          throw new BackendError(name, `gave up on ${listKeys(covering)}: no answer from etcd for ${options.retryTimeout}ms (--backend-retry-timeout): ${stripPrefix(lost.message)}`, { cause: error, permanent: lost.permanent });
        }
        delay = Math.min(delay, left);
      }
      // Back within about probeInterval of etcd accepting connections again, without reading a store that is down;
      // a permanent error (credentials, not etcd) waits out the backoff: a probe would pass and change nothing.
      return lost.permanent ? pause(delay, signal) : waitOrProbe(delay, () => anyEndpointListens(endpoints), probeInterval, signal);
    }
  }

  /** The etcdctl command that sets `key`, with the endpoints and TLS files keyplate uses (etcdctl asks for a password). */
  function hintForKey(key: string): string {
    const flags = [
      ...(endpoints.length === 1 && endpoints[0] === defaultEndpoint ? [] : [`--endpoints=${endpoints.join(',')}`]),
      ...(options.clientCaKeys ? [`--cacert=${shellQuote(options.clientCaKeys)}`] : []),
      ...(options.clientCert ? [`--cert=${shellQuote(options.clientCert)}`] : []),
      ...(options.clientKey ? [`--key=${shellQuote(options.clientKey)}`] : []),
      ...(options.clientInsecure ? ['--insecure-skip-tls-verify'] : []),
      // keyplate's own user usually may only read: the hint names no user that could not write.
      ...(options.username ? ['--user=<user>'] : []),
    ];
    return commandLine('etcdctl', flags, `put ${shellQuote(key)} <value>`);
  }

  function close(): Promise<void> {
    closed ??= (async () => {
      closing.abort();
      const opened = await client?.catch(() => undefined);
      opened?.client.close();
    })();
    return closed;
  }

  return { name, canChange: true, getValues, watch, hintForKey, close } satisfies Backend;
}


interface SessionHooks {
  snapshot(): Promise<Snapshot>;
  publish(snapshot: Snapshot): void;
  apply(event: WatchEventKv): void;
  established(): void;
}

/**
 * One connected stretch of a watch: a snapshot, published, then one stream with a watcher over all prefixes per
 * key spelling (watchRanges), starting right after the snapshot's revision. Each response's events (whole revisions) are applied in one
 * synchronous run. Ends on abort or compaction; throws when the connection or the stream fails, and MemberSilent
 * when the member stops answering.
 */
async function session({ lib, client }: Opened, prefixes: readonly string[], perPrefix: boolean, signal: AbortSignal, hooks: SessionHooks): Promise<SessionEnd> {
  const snapshot = await hooks.snapshot();
  if (signal.aborted) return 'aborted';
  try {
    hooks.publish(snapshot);
  } catch (error) {
    throw new ConsumerError('onEvent failed', { cause: error });
  }
  if (prefixes.length === 0) {
    hooks.established();
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return 'aborted';
  }
  const { stream, host } = await openWatchStream(client);
  const ranges = [...watchRanges(prefixes, 'slashed', perPrefix), ...(snapshot.bare ? watchRanges(prefixes, 'bare', perPrefix) : [])];
  return new Promise<SessionEnd>((resolve, reject) => {
    let done = false;
    let created = false;
    let pending = ranges.length;
    const openedAt = Date.now();
    let heardAt = openedAt;
    let askedAt: number | undefined;
    const liveness = setInterval(() => {
      const now = Date.now();
      if (!created) {
        if (now - openedAt >= createTimeout) finish(new MemberSilent(host, `did not confirm the watch within ${createTimeout}ms`));
      } else if (askedAt !== undefined) {
        if (now - askedAt >= silentAfter) finish(new MemberSilent(host, `stopped answering (no reply to a progress request within ${silentAfter}ms)`));
      } else if (now - heardAt >= quietAfter) {
        askedAt = now;
        stream.write({ progress_request: {} });
      }
    }, livenessTick);
    const onAbort = () => finish('aborted');
    function finish(end: SessionEnd | Error): void {
      if (done) return;
      done = true;
      clearInterval(liveness);
      signal.removeEventListener('abort', onAbort);
      // Half-close first: etcd3 then does not count our own cancel as a failure of the member.
      stream.end();
      stream.cancel();
      if (end instanceof Error) reject(end);
      else resolve(end);
    }
    stream.on('data', (response) => {
      if (done) return;
      heardAt = Date.now();
      askedAt = undefined;
      if (response.canceled) {
        const reason = response.cancel_reason || 'no reason given';
        if (Number(response.compact_revision) > 0) finish('compacted');
        else if (/permission denied/i.test(reason) && !perPrefix && prefixes.length > 1) finish(new CoveringDenied(reason));
        else if (/permission denied/i.test(reason)) finish(new lib.EtcdPermissionDeniedError(reason));
        else finish(new lib.EtcdError(`etcd cancelled the watch: ${reason}`));
        return;
      }
      if (response.created && --pending === 0) {
        created = true;
        hooks.established();
      }
      try {
        for (const event of response.events) hooks.apply(event);
      } catch (error) {
        finish(new ConsumerError('onEvent failed', { cause: error }));
      }
    });
    stream.on('error', (error) => finish(lib.castGrpcError(error)));
    stream.on('end', () => finish(new lib.EtcdWatchStreamEnded()));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return finish('aborted');
    for (const range of ranges) stream.write({ create_request: { ...range, start_revision: snapshot.revision + 1 } });
  });
}

/** The events that turn `before` into `after`. */
function diff(before: Map<string, string>, after: Map<string, string>): WatchEvent[] {
  const events: WatchEvent[] = [];
  for (const key of before.keys()) if (!after.has(key)) events.push({ kind: 'delete', key });
  for (const [key, value] of after) if (before.get(key) !== value) events.push({ kind: 'put', key, value });
  return events;
}

function listKeys(prefixes: readonly string[]): string {
  if (prefixes.length === 0) return 'nothing';
  const shown = prefixes.slice(0, 3).join(', ');
  return prefixes.length > 3 ? `${shown} and ${prefixes.length - 3} more` : shown;
}

function stripPrefix(message: string): string {
  return message.replace(/^\[etcd\] /, '');
}
