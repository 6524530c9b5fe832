import { Readable } from 'node:stream';

// The fuzz test's request generator: a seeded PRNG, valid base requests per endpoint, and one mutation per
// request whose expected outcome (status, error shape, words in the message) is known in advance.

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    /** An integer in [0, n). */
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof rng>;

export type Shape = 'openai' | 'anthropic' | 'admin';
export type Mutation =
  | 'none'
  | 'stream'
  | 'truncate'
  | 'garbage'
  | 'empty'
  | 'not-object'
  | 'deep-over'
  | 'deep-under'
  | 'wrong-type'
  | 'huge-model'
  | 'unknown-model'
  | 'other-protocol-model'
  | 'max-tokens-range'
  | 'max-tokens-window'
  | 'long-text'
  | 'bad-utf8'
  | 'lone-surrogate'
  | 'content-type'
  | 'oversized'
  | 'oversized-chunked'
  | 'huge-header'
  | 'no-key'
  | 'bad-key'
  | 'revoked-key'
  | 'app-no-customer'
  | 'app-bad-customer'
  | 'bad-feature'
  | 'odd-method'
  | 'unknown-route'
  | 'malformed-http'
  | 'admin-ok'
  | 'admin-bad';

export interface Planned {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer | Readable;
  /** Raw bytes sent on a socket instead of an HTTP client's request (malformed HTTP). */
  raw?: Buffer;
  mutation: Mutation;
  /** A generation call (chat completions, messages) POSTed: these are metered. */
  meteredRoute: boolean;
  /** Will get past identification on a metered route, so it must leave exactly one ledger row. */
  identified: boolean;
  expectStatus?: number[];
  expectMessage?: RegExp;
  shapes: Shape[];
}

export interface FuzzKeys {
  keys: { plain: string; plan: string; wallet: string; app: string; revoked: string };
  maxBody: number;
  adminKey: string;
}

type Endpoint = 'chat' | 'messages' | 'count' | 'models' | 'usage' | 'unknown' | 'admin' | 'raw';
const ENDPOINTS: readonly [Endpoint, number][] = [
  ['chat', 30],
  ['messages', 28],
  ['count', 8],
  ['models', 4],
  ['usage', 6],
  ['unknown', 4],
  ['admin', 16],
  ['raw', 4],
];

const BODY_MUTATIONS: readonly Mutation[] = [
  'none',
  'none',
  'none',
  'stream',
  'truncate',
  'garbage',
  'empty',
  'not-object',
  'deep-over',
  'deep-under',
  'wrong-type',
  'wrong-type',
  'huge-model',
  'unknown-model',
  'other-protocol-model',
  'max-tokens-range',
  'max-tokens-window',
  'long-text',
  'bad-utf8',
  'lone-surrogate',
  'content-type',
  'oversized',
  'oversized-chunked',
  'huge-header',
  'no-key',
  'bad-key',
  'revoked-key',
  'app-no-customer',
  'app-bad-customer',
  'bad-feature',
  'odd-method',
];

const WORDS = 'the gateway meters every call and settles it once in the ledger exactly'.split(' ');
const words = (r: Rng, n: number) => Array.from({ length: n }, () => r.pick(WORDS)).join(' ');
const nest = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

function pickWeighted(r: Rng): Endpoint {
  let x = r.int(ENDPOINTS.reduce((s, [, w]) => s + w, 0));
  for (const [e, w] of ENDPOINTS) {
    x -= w;
    if (x < 0) return e;
  }
  return 'chat';
}

export function planRequest(r: Rng, k: FuzzKeys): Planned {
  const e = pickWeighted(r);
  if (e === 'admin') return adminRequest(r, k);
  if (e === 'raw') return rawRequest(r);
  if (e === 'models' || e === 'usage' || e === 'unknown') return getRequest(r, k, e);
  return bodyRequest(r, k, e);
}

/** Chat completions, messages and count_tokens: a valid request, then one mutation. */
function bodyRequest(r: Rng, k: FuzzKeys, e: 'chat' | 'messages' | 'count'): Planned {
  const anthropic = e !== 'chat';
  const path =
    e === 'chat' ? '/v1/chat/completions' : e === 'messages' ? '/v1/messages' : '/v1/messages/count_tokens';
  const shapes: Shape[] = [anthropic ? 'anthropic' : 'openai'];
  const body: Record<string, unknown> = {
    model: anthropic ? r.pick(['claude-haiku-4-5', 'claude-sonnet-4-5']) : r.pick(['gpt-4o-mini', 'gpt-4o']),
    messages: [{ role: 'user', content: words(r, 1 + r.int(12)) }],
  };
  if (e === 'messages' || (e === 'chat' && r.chance(0.5))) body.max_tokens = 1 + r.int(200);
  const who = r.pick(['plain', 'plan', 'wallet', 'app'] as const);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = k.keys[who];
  if (anthropic) {
    headers['x-api-key'] = key;
    headers['anthropic-version'] = '2023-06-01';
  } else headers.authorization = `Bearer ${key}`;
  if (who === 'app') headers['x-margin-customer'] = `fz-app-${r.int(3)}`;
  if (r.chance(0.2)) headers['x-margin-feature'] = r.pick(['search', 'chat:v2', 'doc.summary']);

  const mutation = e === 'count' ? countMutation(r) : r.pick(BODY_MUTATIONS);
  const p: Planned = {
    method: 'POST',
    path,
    headers,
    mutation,
    meteredRoute: e !== 'count',
    identified: true,
    shapes,
  };
  const cap = e === 'chat' && r.chance(0.5) ? 'max_completion_tokens' : 'max_tokens';
  let text: string | Buffer | undefined;
  const fail = (status: number, message: RegExp) => {
    p.expectStatus = [status];
    p.expectMessage = message;
  };
  const refuse = (status: number, message: RegExp) => {
    fail(status, message);
    p.identified = false;
  };
  switch (mutation) {
    case 'none':
    case 'content-type':
    case 'stream':
      if (mutation === 'stream' && e !== 'count') body.stream = true;
      if (mutation === 'content-type')
        headers['content-type'] = r.pick(['text/plain', 'application/x-www-form-urlencoded', '']);
      p.expectStatus = [200];
      break;
    case 'truncate': {
      const full = JSON.stringify(body);
      text = full.slice(0, r.int(full.length - 1));
      fail(400, /JSON/);
      break;
    }
    case 'garbage':
      text = Buffer.from(Array.from({ length: 1 + r.int(300) }, () => r.int(256)));
      // Random bytes are almost never a JSON object; when they are, the next check fails instead.
      p.expectStatus = [400];
      break;
    case 'empty':
      text = '';
      fail(400, /JSON/);
      break;
    case 'not-object':
      text = r.pick(['[]', '1', '"a string"', 'null', 'true', `[${JSON.stringify(body)}]`]);
      fail(400, /must be a JSON object/);
      break;
    case 'deep-over':
      body.metadata = '@DEEP@';
      text = JSON.stringify(body).replace(
        '"@DEEP@"',
        nest(129 + (r.chance(0.1) ? r.int(20_000) : r.int(1000))),
      );
      fail(400, /128 levels/);
      break;
    case 'deep-under':
      body.metadata = '@DEEP@';
      text = JSON.stringify(body).replace('"@DEEP@"', nest(1 + r.int(120)));
      p.expectStatus = [200];
      break;
    case 'wrong-type': {
      const fields =
        e === 'count'
          ? ['model']
          : e === 'chat'
            ? ['model', 'messages', 'stream', cap]
            : ['model', 'messages', 'stream', 'max_tokens'];
      const field = r.pick(fields);
      const bad: Record<string, unknown[]> = {
        model: [5, null, [], {}, '', true],
        messages: ['hi', 5, {}, null, true],
        stream: ['yes', 1, {}, []],
        max_tokens: [-1, 0, 1.5, '10', [], true, {}],
        max_completion_tokens: [-1, 0, 1.5, '10', [], true, {}],
      };
      body[field] = r.pick(bad[field] ?? [null]);
      fail(400, new RegExp(`^${field}: `));
      break;
    }
    case 'huge-model':
      body.model = `${anthropic ? 'claude-' : 'gpt-'}${'m'.repeat(257 + r.int(k.maxBody / 2))}`;
      fail(400, /^model: must be at most 256 characters/);
      break;
    case 'unknown-model':
      body.model = `zz-${words(r, 2).replace(/ /g, '-')}`;
      fail(404, /model `zz-/);
      break;
    case 'other-protocol-model':
      body.model = anthropic ? 'gpt-4o-mini' : 'claude-haiku-4-5';
      fail(400, /^model: /);
      break;
    case 'max-tokens-range':
      body[cap] = r.pick([1e12, 2 ** 53 + 2, 1e308, 2 ** 31, -5, 2 ** 63]);
      fail(400, new RegExp(`^${cap}: .*2147483647`));
      break;
    case 'max-tokens-window':
      body[cap] = 300_000 + r.int(2 ** 31 - 300_001);
      fail(400, new RegExp(`^${cap}: must be at most \\d+ for `));
      break;
    case 'long-text':
      // Long but repetitive text stays within the body limit and is cheap to count.
      body.messages = [{ role: 'user', content: words(r, 10).repeat(20 + r.int(k.maxBody / 200)) }];
      p.expectStatus = [200];
      break;
    case 'bad-utf8': {
      const s = JSON.stringify(body).replace(/"content":"/, '"content":"@BAD@');
      const [a = '', b = ''] = s.split('@BAD@');
      text = Buffer.concat([
        Buffer.from(a),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
        Buffer.from(b),
      ]);
      p.expectStatus = [200];
      break;
    }
    case 'lone-surrogate':
      text = JSON.stringify(body).replace(/"content":"/, '"content":"\\ud800 \\udfff ');
      p.expectStatus = [200];
      break;
    case 'oversized':
      body.messages = [{ role: 'user', content: 'x'.repeat(k.maxBody + r.int(4 * k.maxBody)) }];
      refuse(413, /too large: the limit is \d+ bytes/);
      break;
    case 'oversized-chunked': {
      const total = k.maxBody + 1 + r.int(4 * k.maxBody);
      p.body = Readable.from(
        (function* () {
          for (let sent = 0; sent < total; sent += 16_384)
            yield Buffer.alloc(Math.min(16_384, total - sent), 0x20);
        })(),
      );
      refuse(413, /too large: the limit is \d+ bytes/);
      break;
    }
    case 'huge-header':
      headers['x-pad'] = 'p'.repeat(16_384 + r.int(16_384));
      refuse(431, /headers too large/);
      p.shapes = ['openai', 'anthropic']; // guessed from the bytes Node saw: best effort
      break;
    case 'no-key':
      delete headers.authorization;
      delete headers['x-api-key'];
      refuse(401, /API key/);
      break;
    case 'bad-key':
      if (anthropic) headers['x-api-key'] = `mk_${words(r, 3)}`;
      else
        headers.authorization = r.pick([
          'Bearer ',
          'Bearer mk_nope',
          'Basic abc',
          `Bearer ${'k'.repeat(2000)}`,
        ]);
      refuse(401, /API key/);
      break;
    case 'revoked-key':
      if (anthropic) headers['x-api-key'] = k.keys.revoked;
      else headers.authorization = `Bearer ${k.keys.revoked}`;
      refuse(401, /revoked/);
      break;
    case 'app-no-customer':
      if (anthropic) headers['x-api-key'] = k.keys.app;
      else headers.authorization = `Bearer ${k.keys.app}`;
      delete headers['x-margin-customer'];
      refuse(400, /^x-margin-customer: required/);
      break;
    case 'app-bad-customer':
      if (anthropic) headers['x-api-key'] = k.keys.app;
      else headers.authorization = `Bearer ${k.keys.app}`;
      headers['x-margin-customer'] = r.pick([
        'has space',
        'c'.repeat(129 + r.int(5000)),
        '-leading',
        'ünïcode',
      ]);
      refuse(400, /^x-margin-customer: must be 1–128/);
      break;
    case 'bad-feature':
      headers['x-margin-feature'] = r.pick(['no way', 'f'.repeat(129 + r.int(5000)), '/slash']);
      refuse(400, /^x-margin-feature: must be 1–128/);
      break;
    case 'odd-method':
      p.method = r.pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'GET']);
      if (p.method === 'GET') text = undefined;
      refuse(405, /not allowed on \/v1\//);
      p.meteredRoute = false;
      break;
    default:
      break;
  }
  if (p.body === undefined && p.method !== 'GET') p.body = text ?? JSON.stringify(body);
  // A mutation that made the body bigger than the limit meets the size check first.
  const size = typeof p.body === 'string' || Buffer.isBuffer(p.body) ? Buffer.byteLength(p.body) : 0;
  if (size > k.maxBody && p.expectStatus?.[0] !== 405 && p.identified) {
    p.expectStatus = [413];
    p.expectMessage = /too large/;
    p.identified = false;
  }
  if (!p.meteredRoute) p.identified = false;
  return p;
}

function countMutation(r: Rng): Mutation {
  return r.pick([
    'none',
    'truncate',
    'empty',
    'not-object',
    'deep-over',
    'wrong-type',
    'huge-model',
    'unknown-model',
    'oversized',
    'huge-header',
    'no-key',
    'bad-key',
    'odd-method',
  ] as const);
}

/** GET endpoints and unknown routes. */
function getRequest(r: Rng, k: FuzzKeys, e: 'models' | 'usage' | 'unknown'): Planned {
  const anthropic = r.chance(0.4);
  const headers: Record<string, string> = anthropic ? { 'anthropic-version': '2023-06-01' } : {};
  const shapes: Shape[] = [anthropic ? 'anthropic' : 'openai'];
  const base = { headers, meteredRoute: false, identified: false, shapes };
  if (e === 'unknown') {
    const path = r.pick([
      '/',
      '/v2/chat',
      '/v1/chat/completions/x',
      `/v1/${'z'.repeat(r.int(8000))}`,
      '/admin',
      '/v1/models/../x',
    ]);
    return {
      ...base,
      method: r.pick(['GET', 'POST', 'DELETE']),
      path,
      mutation: 'unknown-route',
      expectStatus: [404],
      expectMessage: /Unknown route/,
    };
  }
  const path = e === 'models' ? r.pick(['/v1/models', '/healthz']) : '/v1/margin/usage';
  if (r.chance(0.15))
    return {
      ...base,
      method: 'POST',
      path,
      body: '{}',
      mutation: 'odd-method',
      expectStatus: [405],
      expectMessage: /not allowed/,
    };
  if (r.chance(0.1)) {
    headers['x-pad'] = 'p'.repeat(16_384 + r.int(16_384));
    return {
      ...base,
      method: 'GET',
      path,
      mutation: 'huge-header',
      expectStatus: [431],
      shapes: ['openai', 'anthropic'],
    };
  }
  if (e === 'models') return { ...base, method: 'GET', path, mutation: 'none', expectStatus: [200] };
  const m = r.pick(['none', 'none', 'no-key', 'bad-key', 'app-no-customer'] as const);
  if (m === 'none') headers.authorization = `Bearer ${r.pick([k.keys.plain, k.keys.plan, k.keys.wallet])}`;
  if (m === 'bad-key') headers.authorization = 'Bearer mk_unknown';
  if (m === 'app-no-customer') headers.authorization = `Bearer ${k.keys.app}`;
  const expectStatus = m === 'none' ? [200] : m === 'app-no-customer' ? [400] : [401];
  return { ...base, method: 'GET', path, mutation: m, expectStatus };
}

/** Malformed HTTP that only a raw socket can send; Node's parser rejects it before any route runs. */
function rawRequest(r: Rng): Planned {
  const big = 'h'.repeat(17_000 + r.int(16_384));
  const cases: [string, number][] = [
    ['FOO / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n', 400],
    ['POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
    ['POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', 400],
    ['GET / HTTP/1.1\r\nHost: x\r\nX-Big: @BIG@\r\n\r\n', 431],
    ['POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\nX-Big: @BIG@\r\n\r\n', 431],
  ];
  const [text, status] = r.pick(cases);
  return {
    method: 'RAW',
    path: text.split('\r\n')[0] ?? '',
    headers: {},
    raw: Buffer.from(text.replace('@BIG@', big), 'latin1'),
    mutation: 'malformed-http',
    meteredRoute: false,
    identified: false,
    expectStatus: [status],
    shapes: ['openai', 'anthropic'],
  };
}

/** The admin API: valid calls and calls with one thing wrong, each naming the field it expects. */
function adminRequest(r: Rng, k: FuzzKeys): Planned {
  const c = `fz-c${1 + r.int(3)}`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${k.adminKey}`,
    'content-type': 'application/json',
  };
  const ok: [string, string, unknown, number][] = [
    ['GET', `/requests?limit=${1 + r.int(50)}`, undefined, 200],
    ['GET', `/usage?by=${r.pick(['customer', 'feature', 'model', 'provider', 'day'])}`, undefined, 200],
    ['GET', '/keys', undefined, 200],
    ['POST', '/keys', { customer: c, name: words(r, 3) }, 201],
    ['PUT', `/customers/${c}`, { plan: r.pick([null, 'fz-roomy']), cycle_day: 1 + r.int(28) }, 200],
    ['POST', `/wallets/${c}/top-ups`, { amount_usd: `${r.int(100)}.5`, note: words(r, 4) }, 201],
    ['GET', `/wallets/${c}`, undefined, 200],
    ['GET', '/plans', undefined, 200],
    [
      'PUT',
      '/plans',
      { plans: { [`fz-p${r.int(5)}`]: { priceUsd: r.int(50), budget: { unit: 'usd', amount: '5' } } } },
      200,
    ],
    ['GET', '/customers', undefined, 200],
    ['GET', `/events?limit=${1 + r.int(100)}`, undefined, 200],
  ];
  const bad: [string, string, string | unknown, number, RegExp][] = [
    ['POST', '/keys', '{"customer":', 400, /^body: Request body is not valid JSON/],
    ['POST', '/keys', '[1,2]', 400, /^body: Request body must be a JSON object/],
    ['POST', '/keys', `{"customer":"${c}","x":${nest(129 + r.int(1000))}}`, 400, /^body: .*128 levels/],
    [
      'POST',
      '/keys',
      { customer: c, name: 'n'.repeat(1025 + r.int(5000)) },
      400,
      /^name: must be at most 1024/,
    ],
    ['POST', '/keys', { customer: r.pick([5, [], {}, true]) }, 400, /^customer: must be a string/],
    ['POST', '/keys', { customer: 'bad id!' }, 400, /^customer: must be 1–128/],
    ['POST', '/keys', { kind: 'robot' }, 400, /^kind: /],
    [
      'PUT',
      `/customers/${c}`,
      { plan: r.pick([5, [], {}, true]) },
      400,
      /^plan: must be a plan name or null/,
    ],
    ['PUT', `/customers/${c}`, { cycle_day: r.pick([0, 32, 1.5, [], 'x']) }, 400, /^cycle_day: /],
    ['PUT', `/customers/${c}`, { wallet: r.pick([5, {}]) }, 400, /^wallet: must be a string/],
    ['PUT', `/customers/${c}`, { plan: 'no-such-plan' }, 400, /^plan: /],
    ['PUT', `/customers/${'c'.repeat(200)}`, {}, 400, /^customer: must be 1–128/],
    [
      'POST',
      `/wallets/${c}/top-ups`,
      { amount_usd: r.pick(['-1', 'abc', '9'.repeat(40), '1e9', '']) },
      400,
      /^amount_usd: /,
    ],
    ['POST', `/wallets/${c}/top-ups`, { amount_usd: r.pick([null, [], {}]) }, 400, /^amount_usd: /],
    [
      'POST',
      `/wallets/${c}/top-ups`,
      { amount_usd: '1', note: 'n'.repeat(2000) },
      400,
      /^note: must be at most 1024/,
    ],
    ['POST', `/wallets/${c}/top-ups`, { amount_usd: '1', reason: 7 }, 400, /^reason: must be a string/],
    ['PUT', '/plans', { plans: { p: { priceUsd: r.pick(['x', -1, [], {}]) } } }, 400, /plans\.p\.priceUsd/],
    [
      'PUT',
      '/plans',
      { plans: { [`p${'q'.repeat(2000)}`]: { priceUsd: 1 } } },
      400,
      /\(a key\): must be at most 1024/,
    ],
    ['PUT', '/plans', 'nope', 400, /^body: Request body is not valid JSON/],
    ['GET', `/requests?limit=${r.pick(['0', '-5', 'abc', '1001', '1e3x'])}`, undefined, 400, /^limit: /],
    ['GET', `/requests?from=${r.pick(['yesterday', 'abc', '2026-13-45'])}`, undefined, 400, /^from: /],
    ['GET', `/usage?by=${r.pick(['color', '', 'customer;drop'])}`, undefined, 400, /^by: /],
    ['GET', '/customers/%E0%A4%A', undefined, 400, /^customer: not valid percent-encoding/],
    ['DELETE', '/keys/%zz', undefined, 400, /^key: not valid percent-encoding/],
    ['GET', `/nope/${r.int(99)}`, undefined, 404, /No admin route/],
    ['GET', '/customers/fz-nobody', undefined, 404, /no customer/],
  ];
  if (r.chance(0.08)) {
    delete headers.authorization;
    if (r.chance(0.5)) headers.authorization = 'Bearer wrong-admin-key-000000000';
    return {
      method: 'GET',
      path: '/admin/v1/keys',
      headers,
      mutation: 'admin-bad',
      meteredRoute: false,
      identified: false,
      expectStatus: [401],
      expectMessage: /admin key/i,
      shapes: ['admin'],
    };
  }
  const base = { headers, meteredRoute: false, identified: false, shapes: ['admin'] as Shape[] };
  if (r.chance(0.4)) {
    const [method, path, body, status] = r.pick(ok);
    return {
      ...base,
      method,
      path: `/admin/v1${path}`,
      body: body === undefined ? undefined : JSON.stringify(body),
      mutation: 'admin-ok',
      expectStatus: [status],
    };
  }
  const [method, path, body, status, message] = r.pick(bad);
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return {
    ...base,
    method,
    path: `/admin/v1${path}`,
    body: text,
    mutation: 'admin-bad',
    expectStatus: [status],
    expectMessage: message,
  };
}
