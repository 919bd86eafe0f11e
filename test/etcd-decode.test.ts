// The lean decoder of etcd's read transactions (backends/etcd-decode.ts) against etcd3's own protobufjs
// decoding of the same transaction on a real etcd: the same revision, keys and values, byte for byte.
import { describe, expect, it } from 'vitest';
import { decodeRangeTxn, rangeTxn } from '../backends/etcd-decode.js';
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
});
