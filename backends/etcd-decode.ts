// The one etcd answer that is big: a read transaction's ranges. etcd3 decodes every answer with protobufjs into
// plain objects with int64 fields as strings; for 10,000 keys that made 40,000 Long objects and their strings
// (create_revision, mod_revision, version, lease) that nobody reads: ~70 ms of decoding and much of the GC of
// a 200-resource `--onetime` (--cpu-prof). This decoder reads the wire format (https://protobuf.dev/programming-guides/encoding/)
// of etcd's rpc.proto TxnResponse and keeps only the header's revision and each range's keys and values.
import type { Client } from './etcd-client.js';

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

interface GrpcMethod {
  path: string;
  requestSerialize(value: unknown): Buffer;
}
type UnaryCall = (this: GrpcClient, arg: unknown, metadata: unknown, options: unknown, callback: unknown) => unknown;
interface GrpcClient {
  makeUnaryRequest(path: string, serialize: (v: unknown) => Buffer, deserialize: (b: Buffer) => unknown, ...rest: unknown[]): unknown;
}
const method = 'keyplateRangeTxn';

/**
 * A read transaction through etcd3's own pool (member choice, fault handling, auth, call options and error
 * types all stay etcd3's), answered by `decodeRangeTxn`: the KV service's client class gets one more method,
 * the same gRPC call as its `Txn` with this decoder. `success` holds range requests only.
 */
export function rangeTxn(client: Client, success: unknown[]): Promise<RangeTxnResponse> {
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
