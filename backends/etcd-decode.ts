// The two etcd answers keyplate lives on, decoded from the wire format (https://protobuf.dev/programming-guides/encoding/)
// of etcd's rpc.proto, keeping only what keyplate reads. etcd3 decodes every answer with protobufjs into plain
// objects with int64 fields as strings:
// - a read transaction's ranges: for 10,000 keys that made 40,000 Long objects and their strings (create_revision,
//   mod_revision, version, lease) that nobody reads: ~70 ms of decoding and much of the GC of a 200-resource
//   `--onetime` (--cpu-prof);
// - a watch's answers: each change paid for the header's four int64s and the event's, and the first change after a
//   start paid for protobufjs generating the Event and KeyValue decoders (`Type.setup`, --cpu-prof), on the path
//   from a put to the file.

/** One key as a read sees it: etcd keys and values are bytes (views into the answer, not copies). */
export interface RangeKv {
  key: Buffer;
  value: Buffer;
}

/** What a read transaction answers, as far as keyplate reads it. */
export interface RangeTxnResponse {
  header: { revision: number };
  responses: Array<{ response_range: { kvs: RangeKv[] } }>;
}

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  /** A varint as a number: exact up to 2^53, far above any revision (etcd3 itself reads them with Number()). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('etcd answer: varint runs past the end of its message');
      const byte = this.buf[this.pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error('etcd answer: varint longer than 10 bytes');
    }
  }
  /** The [start, end) of a length-delimited field's bytes. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new Error('etcd answer: field runs past the end of its message');
    return [start, this.pos];
  }
  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === LEN) this.span();
    else if (wire === FIXED64) this.pos += 8;
    else if (wire === FIXED32) this.pos += 4;
    else throw new Error(`etcd answer: unknown wire type ${wire}`);
    if (this.pos > this.end) throw new Error('etcd answer: field runs past the end of its message');
  }
  /** Calls `field(number, wire)` for each field; `field` reads it and returns true, or returns false to skip it. */
  each(field: (number: number, wire: number) => boolean): void {
    while (this.pos < this.end) {
      const tag = this.varint();
      const wire = tag & 7;
      if (!field(tag >>> 3, wire)) this.skip(wire);
    }
  }
  sub([start, end]: [number, number]): Reader {
    return new Reader(this.buf, start, end);
  }
}

function keyValue(r: Reader): RangeKv {
  const empty = r.buf.subarray(0, 0);
  const kv: RangeKv = { key: empty, value: empty };
  // KeyValue: key = 1, value = 5 (bytes); create_revision, mod_revision, version and lease are skipped.
  r.each((n, wire) => {
    if (wire !== LEN || (n !== 1 && n !== 5)) return false;
    const [start, end] = r.span();
    if (n === 1) kv.key = r.buf.subarray(start, end);
    else kv.value = r.buf.subarray(start, end);
    return true;
  });
  return kv;
}

function rangeResponse(r: Reader): { kvs: RangeKv[] } {
  const kvs: RangeKv[] = [];
  // RangeResponse: kvs = 2 (repeated KeyValue).
  r.each((n, wire) => {
    if (n !== 2 || wire !== LEN) return false;
    kvs.push(keyValue(r.sub(r.span())));
    return true;
  });
  return { kvs };
}

function responseOp(r: Reader): { response_range: { kvs: RangeKv[] } } {
  let range: { kvs: RangeKv[] } | undefined;
  // ResponseOp: a oneof of response_range = 1, response_put = 2, response_delete_range = 3, response_txn = 4.
  r.each((n, wire) => {
    if (wire !== LEN) return false;
    if (n !== 1) throw new Error(`etcd answer: a read transaction answered operation ${n}, not a range`);
    range = rangeResponse(r.sub(r.span()));
    return true;
  });
  return { response_range: range ?? { kvs: [] } }; // an empty message is a range with nothing in it
}

/**
 * Decodes etcd's TxnResponse (rpc.proto: header = 1, succeeded = 2, responses = 3) for a transaction of ranges
 * only. Throws on a malformed answer or an operation that is not a range.
 */
export function decodeRangeTxn(buf: Buffer): RangeTxnResponse {
  const r = new Reader(buf, 0, buf.length);
  const out: RangeTxnResponse = { header: { revision: 0 }, responses: [] };
  r.each((n, wire) => {
    if (wire !== LEN) return false;
    if (n === 1) {
      const header = r.sub(r.span());
      // ResponseHeader: revision = 3.
      header.each((hn, hwire) => {
        if (hn !== 3 || hwire !== VARINT) return false;
        out.header.revision = header.varint();
        return true;
      });
      return true;
    }
    if (n === 3) {
      out.responses.push(responseOp(r.sub(r.span())));
      return true;
    }
    return false;
  });
  return out;
}

/** One change a watch reports, in etcd3's names (kv.proto's EventType: Put = 0, Delete = 1). */
export interface WatchEventKv {
  type: 'Put' | 'Delete';
  kv: RangeKv;
}

/** A watch's answer, as far as keyplate reads it (rpc.proto WatchResponse). */
export interface WatchAnswer {
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  events: WatchEventKv[];
}

/** Event: type = 1 (a varint, absent for Put), kv = 2; prev_kv = 3 is skipped (keyplate never asks for it). */
function watchEvent(r: Reader): WatchEventKv {
  let type: WatchEventKv['type'] = 'Put';
  let kv: RangeKv | undefined;
  r.each((n, wire) => {
    if (n === 1 && wire === VARINT) {
      type = r.varint() === 1 ? 'Delete' : 'Put';
      return true;
    }
    if (n === 2 && wire === LEN) {
      kv = keyValue(r.sub(r.span()));
      return true;
    }
    return false;
  });
  if (!kv) throw new Error('etcd answer: a watch event without its key');
  return { type, kv };
}

/**
 * Decodes etcd's WatchResponse (rpc.proto: created = 3, canceled = 4, compact_revision = 5, cancel_reason = 6,
 * events = 11; the header, watch_id and fragment are skipped). Throws on a malformed answer, which gRPC reports
 * as the stream's error: the watch then reconnects as after any failure.
 */
export function decodeWatchResponse(buf: Buffer): WatchAnswer {
  const r = new Reader(buf, 0, buf.length);
  const out: WatchAnswer = { created: false, canceled: false, compact_revision: 0, cancel_reason: '', events: [] };
  r.each((n, wire) => {
    if (wire === VARINT && (n === 3 || n === 4 || n === 5)) {
      const value = r.varint();
      if (n === 3) out.created = value !== 0;
      else if (n === 4) out.canceled = value !== 0;
      else out.compact_revision = value;
      return true;
    }
    if (wire === LEN && (n === 6 || n === 11)) {
      const span = r.span();
      if (n === 6) out.cancel_reason = r.buf.toString('utf8', span[0], span[1]);
      else out.events.push(watchEvent(r.sub(span)));
      return true;
    }
    return false;
  });
  return out;
}

interface GrpcMethod {
  path: string;
  requestSerialize(value: unknown): Buffer;
}

/** What a watch stream needs from grpc-js's client for etcd's Watch service. */
export interface WatchServiceClient {
  watch(metadata: unknown, options: unknown): unknown;
  makeBidiStreamRequest?(path: string, serialize: (v: unknown) => Buffer, deserialize: (b: Buffer) => unknown, metadata: unknown, options: unknown): unknown;
  constructor: { service?: { Watch?: GrpcMethod } };
}

/**
 * Opens etcd's Watch stream on `service` (a member's connection from etcd3's pool) with `decodeWatchResponse` for
 * its answers: the same gRPC call as the service's own `watch`, requests still serialized by etcd3's definitions.
 * Another grpc-js whose client lacks these internals gets the service's own call (protobufjs answers of the same
 * shape).
 */
export function watchCall(service: WatchServiceClient, metadata: unknown, options: unknown): unknown {
  const watch = service.constructor.service?.Watch;
  if (!watch || typeof service.makeBidiStreamRequest !== 'function') return service.watch(metadata, options);
  return service.makeBidiStreamRequest(watch.path, watch.requestSerialize, decodeWatchResponse, metadata, options);
}
type UnaryCall = (this: GrpcClient, arg: unknown, metadata: unknown, options: unknown, callback: unknown) => unknown;
interface GrpcClient {
  makeUnaryRequest(path: string, serialize: (v: unknown) => Buffer, deserialize: (b: Buffer) => unknown, ...rest: unknown[]): unknown;
}
const method = 'keyplateRangeTxn';

/**
 * A read transaction through etcd3's own pool (member choice, fault handling, auth, call options and error
 * types all stay etcd3's), answered by `decodeRangeTxn`: the KV service's client class gets one more method,
 * the same gRPC call as its `Txn` with this decoder. `client` is an etcd3 Etcd3 client (typed loosely: this module
 * stays below etcd-client.ts, which uses its watch decoder). `success` holds range requests only.
 */
export function rangeTxn(client: object, success: unknown[]): Promise<RangeTxnResponse> {
  type Pool = { hosts: Array<{ getServiceClient(name: string): object }>; exec(service: string, method: string, payload: unknown): Promise<unknown> };
  const pool = (client as unknown as { pool: Pool }).pool;
  const proto = Object.getPrototypeOf(pool.hosts[0].getServiceClient('KV')) as Record<string, UnaryCall> & { constructor: { service?: { Txn?: GrpcMethod } } };
  if (!proto[method]) {
    const txn = proto.constructor.service?.Txn;
    if (!txn) throw new Error('the etcd3 package no longer describes the KV service as expected; reinstall keyplate');
    proto[method] = function (arg, metadata, options, callback) {
      return this.makeUnaryRequest(txn.path, txn.requestSerialize, decodeRangeTxn, arg, metadata, options, callback);
    };
  }
  return pool.exec('KV', method, { success }) as Promise<RangeTxnResponse>;
}
