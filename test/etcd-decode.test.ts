// The lean decoders of etcd's read transactions and watch answers (backends/etcd-decode.ts) against etcd3's own
// protobufjs decoding of the same answers on a real etcd: the same revision, keys and values, byte for byte.
import { describe, expect, it } from 'vitest';
import { decodeRangeTxn, decodeWatchResponse, rangeTxn, type WatchAnswer } from '../backends/etcd-decode.js';
import { useEtcd } from './lifecycle.js';

describe('etcd: the lean read-transaction decoder', () => {
  const ctx = useEtcd();

  it('reads what etcd3 reads: revision, keys and values of every range, empty, binary, UTF-8 and large values', async () => {
    const c = ctx.client;
    await c.put('/dec/empty').value('');
    await c.put('/dec/utf8/ключ').value('värde ✓');
    await c.put('/dec/binary').value(Buffer.from([0, 255, 128, 10, 13]));
    await c.put('/dec/large').value('x'.repeat(1 << 20));
    for (let i = 0; i < 300; i++) await c.put(`/dec/many/k${i}`).value(`v${i}`);
    // A key with a lease: its int64 lease id is one of the fields the decoder skips.
    const lease = c.lease(60);
    await lease.put('/dec/leased').value('l');
    const ranges = [
      { key: Buffer.from('/dec/'), range_end: Buffer.from('/dec0') },
      { key: Buffer.from('/dec/empty') },
      { key: Buffer.from('/nothing/'), range_end: Buffer.from('/nothing0') },
    ];
    const success = ranges.map((r) => ({ request_range: r }));
    const theirs = await c.kv.txn({ success });
    const ours = await rangeTxn(c, success);
    expect(ours.header.revision).toBe(Number(theirs.header.revision));
    expect(ours.responses.map((op) => op.response_range.kvs.map((kv) => [kv.key.toString('hex'), kv.value.toString('hex')]))).toEqual(
      theirs.responses.map((op) => op.response_range!.kvs.map((kv) => [kv.key.toString('hex'), kv.value.toString('hex')])),
    );
    expect(ours.responses[0].response_range.kvs.length).toBe(305);
    expect(ours.responses[2].response_range.kvs).toEqual([]);
    await lease.revoke();
  });

  it('refuses a truncated answer and an operation that is not a range, instead of reading garbage', () => {
    // TxnResponse { responses: [ResponseOp { response_range: RangeResponse { kvs: [KeyValue { key: "k", value: "v" }] } }] }
    const kv = Buffer.from([0x0a, 1, 0x6b, 0x2a, 1, 0x76]);
    const range = Buffer.concat([Buffer.from([0x12, kv.length]), kv]);
    const op = Buffer.concat([Buffer.from([0x0a, range.length]), range]);
    const txn = Buffer.concat([Buffer.from([0x1a, op.length]), op]);
    expect(decodeRangeTxn(txn).responses[0].response_range.kvs.map((x) => [x.key.toString(), x.value.toString()])).toEqual([['k', 'v']]);
    expect(() => decodeRangeTxn(txn.subarray(0, txn.length - 2))).toThrow(/past the end/);
    const put = Buffer.from([0x1a, 2, 0x12, 0]); // ResponseOp { response_put: {} }
    expect(() => decodeRangeTxn(put)).toThrow(/not a range/);
  });

  it('reads each watch answer as etcd3 does: created, puts and deletes (empty, binary, UTF-8 values), a compaction cancel', async () => {
    const c = ctx.client;
    type Both = { ours: WatchAnswer; theirs: { created: boolean; canceled: boolean; compact_revision: string; cancel_reason: string; events: Array<{ type: string; kv: { key: Buffer; value: Buffer } }> } };
    type Service = { makeBidiStreamRequest(...a: unknown[]): NodeJS.EventEmitter & { write(m: unknown): void; end(): void; cancel(): void }; constructor: { service: { Watch: { path: string; requestSerialize: unknown; responseDeserialize(b: Buffer): Both['theirs'] } } } };
    const pool = (c as unknown as { pool: { withConnection<T>(s: string, fn: (x: { client: Service; metadata: unknown }) => T): Promise<T> } }).pool;
    // One stream whose answers are decoded both ways, from the same bytes.
    const answers: Both[] = [];
    const stream = await pool.withConnection('Watch', ({ client: service, metadata }) => {
      const watch = service.constructor.service.Watch;
      return service.makeBidiStreamRequest(watch.path, watch.requestSerialize, (b: Buffer) => ({ ours: decodeWatchResponse(b), theirs: watch.responseDeserialize(b) }), metadata, {});
    });
    stream.on('data', (a: Both) => answers.push(a));
    const failures: unknown[] = [];
    stream.on('error', (error: { code?: number }) => error.code !== 1 && failures.push(error)); // 1: our own cancel
    const until = async (n: number) => {
      for (let i = 0; answers.length < n; i++) {
        if (i > 500) throw new Error(`only ${answers.length} of ${n} watch answers`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    stream.write({ create_request: { key: Buffer.from('/w/'), range_end: Buffer.from('/w0') } });
    await until(1);
    await c.put('/w/empty').value('');
    await c.put('/w/utf8/ключ').value('värde ✓');
    await c.put('/w/binary').value(Buffer.from([0, 255, 128, 10, 13]));
    await c.delete().key('/w/binary');
    await until(5);
    // A watch from a compacted revision: etcd creates it, then cancels it and names the compaction.
    const { header } = await c.kv.put({ key: Buffer.from('/w/last'), value: Buffer.from('x') });
    await c.kv.compact({ revision: header.revision });
    stream.write({ create_request: { key: Buffer.from('/other/'), range_end: Buffer.from('/other0'), start_revision: 1 } });
    for (let i = 0; !answers.some((a) => a.theirs.canceled); i++) {
      if (i > 500) throw new Error('etcd did not cancel the compacted watch');
      await new Promise((r) => setTimeout(r, 10));
    }
    stream.end();
    stream.cancel();
    expect(failures).toEqual([]);
    const view = (a: Both['ours'] | Both['theirs']) => ({
      created: a.created,
      canceled: a.canceled,
      compact_revision: Number(a.compact_revision),
      cancel_reason: a.cancel_reason,
      events: a.events.map((e) => [e.type, e.kv.key.toString('hex'), e.kv.value.toString('hex')]),
    });
    expect(answers.map((a) => view(a.ours))).toEqual(answers.map((a) => view(a.theirs)));
    const events = answers.flatMap((a) => a.ours.events.map((e) => `${e.type} ${e.kv.key}`));
    expect(events).toEqual(['Put /w/empty', 'Put /w/utf8/ключ', 'Put /w/binary', 'Delete /w/binary', 'Put /w/last']);
    expect(answers.find((a) => a.ours.canceled)!.ours.compact_revision).toBe(Number(header.revision));
  });

  it('refuses a truncated watch answer and an event without its key', () => {
    // WatchResponse { events: [Event { type: DELETE, kv: KeyValue { key: "k" } }] }
    const kv = Buffer.from([0x0a, 1, 0x6b]);
    const event = Buffer.concat([Buffer.from([0x08, 1, 0x12, kv.length]), kv]);
    const answer = Buffer.concat([Buffer.from([0x5a, event.length]), event]);
    expect(decodeWatchResponse(answer).events.map((e) => [e.type, e.kv.key.toString()])).toEqual([['Delete', 'k']]);
    expect(() => decodeWatchResponse(answer.subarray(0, answer.length - 1))).toThrow(/past the end/);
    expect(() => decodeWatchResponse(Buffer.from([0x5a, 2, 0x08, 1]))).toThrow(/without its key/);
  });
});
