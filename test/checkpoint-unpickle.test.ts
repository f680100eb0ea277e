import test from 'ava';
import { MAX_PICKLE_OPCODES, newDict, unpickle } from '../lib/checkpoint/unpickle';
import { CheckpointError } from '../lib/errors';
import { PickleWriter } from './helpers/pickle-writer';

const refuseAll = { findGlobal: (module: string, name: string): never => { throw new Error(`refused ${module}.${name}`); } };

test('protocol 4 (FRAME, MEMOIZE, SHORT_BINUNICODE, LONG1, BINFLOAT, bytes) decodes to plain values', (t) => {
  // pickle.dumps({'a': (1, -300, 2**70, -2**63, 1.5, None, True, 'é', b'xy', 70000, -1),
  //               'b': [1, 2, {3: 'x', True: None}], 'c': 0}, protocol=4)
  const bytes = Buffer.from('80049565000000000000007d94288c016194284b014ad4feffff8a090000000000000000408a080000000000000080473ff80000000000004e888c02c3a99443027879944a701101004affffffff74948c0162945d94284b014b027d94284b038c017894884e75658c0163944b00752e', 'hex');
  t.deepEqual(unpickle(bytes, refuseAll), {
    a: [1, -300, 2n ** 70n, -(2n ** 63n), 1.5, null, true, 'é', new Uint8Array([0x78, 0x79]), 70000, -1],
    b: [1, 2, { 3: 'x', True: null }],
    c: 0,
  });
});

test('globals go through the resolver, and REDUCE calls what it returns', (t) => {
  // pickle.dumps(collections.OrderedDict([('k', [1, 2])]), protocol=2)
  const bytes = Buffer.from('800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006b71025d7103284b014b0265732e', 'hex');
  const seen: string[] = [];
  const result = unpickle(bytes, {
    findGlobal: (module, name) => {
      seen.push(`${module}.${name}`);
      return { qualifiedName: `${module}.${name}`, call: () => newDict() };
    },
  });
  t.deepEqual(seen, ['collections.OrderedDict']);
  t.deepEqual(result, { k: [1, 2] });
  t.throws(() => unpickle(bytes, refuseAll), { message: 'refused collections.OrderedDict' });
});

test('malformed pickles fail with the source, the problem and the byte offset', (t) => {
  const cases: [string, RegExp][] = [
    ['80022e', /src: pickle: stack underflow \(opcode at byte 2\)/],
    ['8002ff', /src: pickle: unsupported opcode 0xff \(opcode at byte 2\)/],
    ['8002580a000000616263', /src: pickle: truncated: needs 10 more bytes/],
    ['80026805', /src: pickle: memo entry 5 was never stored/],
    ['80025d4b014b0273', /src: pickle: SETITEM\(S\) on something that is not a dict/],
    ['800229292e', /src: pickle: STOP with items left on the stack/],
    ['80024b0129522e', /src: pickle: cannot call number 1/],
    ['8009', /src: pickle: unsupported pickle protocol 9/],
  ];
  for (const [hex, pattern] of cases) t.throws(() => unpickle(Buffer.from(hex, 'hex'), refuseAll, 'src'), { instanceOf: CheckpointError, message: pattern }, hex);
});

test('a list of 300k items built by one APPENDS decodes (no stack overflow)', (t) => {
  const p = new PickleWriter().emptyList().mark();
  for (let i = 0; i < 300_000; i += 1) p.int(i % 256);
  const list = unpickle(p.appends().stop(), refuseAll) as number[];
  t.is(list.length, 300_000);
  t.is(list[299_999], 299_999 % 256);
  // The same items as one SETITEMS on a dict.
  const d = new PickleWriter().emptyDict().mark();
  for (let i = 0; i < 300_000; i += 1) d.int(i).int(i % 7);
  const dict = unpickle(d.setItems().stop(), refuseAll) as Record<string, number>;
  t.is(Object.keys(dict).length, 300_000);
  t.is(dict['299999'], 299_999 % 7);
});

test('a LONG4 integer of a megabyte decodes exactly (all ones: -1)', (t) => {
  const bytes = Buffer.alloc(1 << 20, 0xff);
  const length = Buffer.alloc(4);
  length.writeInt32LE(bytes.length);
  const value = unpickle(Buffer.concat([Buffer.from([0x80, 2, 0x8b]), length, bytes, Buffer.from('.')]), refuseAll);
  t.is(value, -1);
});

test('a pickle of millions of opcodes (each a new memo entry) is refused before a Map or the heap overflows', (t) => {
  // 17M MEMOIZE: one more than a Map can hold; compressed inside a .pt this is kilobytes.
  const memoize = Buffer.concat([Buffer.from([0x80, 2, 0x4e]), Buffer.alloc(17_000_000, 0x94), Buffer.from('.')]);
  t.throws(() => unpickle(memoize, refuseAll, 'src'), { instanceOf: CheckpointError, message: new RegExp(`src: pickle: more than ${MAX_PICKLE_OPCODES} opcodes`) });
  // As many as the cap allows still decode.
  const lists = Buffer.concat([Buffer.from([0x80, 2, 0x5d, 0x28]), Buffer.alloc(MAX_PICKLE_OPCODES - 5, 0x4e), Buffer.from([0x65, 0x2e])]);
  t.is((unpickle(lists, refuseAll) as unknown[]).length, MAX_PICKLE_OPCODES - 5);
});
