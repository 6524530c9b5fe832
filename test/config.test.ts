// loadConfig (file → env → flags, validated once) and ProviderRegistry (model → provider, upstream URLs).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { ProviderRegistry } from '../src/providers/registry.js';
import { GatewayError } from '../src/wire/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-config-'));
let n = 0;
function file(text: string, ext = 'yaml'): string {
  const f = join(dir, `config-${++n}.${ext}`);
  writeFileSync(f, text);
  return f;
}

const GROQ_YAML = `
server:
  port: 9000
  host: 0.0.0.0
db: /var/lib/margin/from-file.db
providers:
  groq:
    baseUrl: https://api.groq.com/openai/v1
    apiKey: gsk_from_file
    models: [llama-3, mixtral-8x7b]
  local:
    protocol: openai
    baseUrl: http://127.0.0.1:11434
  openai:
    baseUrl: https://openai.example.com/v1
    apiKey: sk-from-file
pricing:
  overrides:
    - provider: groq
      model: llama-3
      prices: { input_mtok: 0.05, output_mtok: 0.08 }
    - provider: openai
      discountPercent: 12.5
`;

/** Asserts loadConfig throws a ConfigError whose message contains every fragment. */
function assertConfigError(fn: () => unknown, ...fragments: string[]): string {
  let msg = '';
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `ConfigError, got ${String(e)}`);
    msg = e.message;
    for (const f of fragments) assert.ok(msg.includes(f), `message names ${JSON.stringify(f)}:\n${msg}`);
    return true;
  });
  return msg;
}

describe('loadConfig: environment', () => {
  test('each variable lands in its field', () => {
    const c = loadConfig({
      env: {
        OPENAI_API_KEY: 'sk-openai-env',
        ANTHROPIC_API_KEY: 'sk-ant-env',
        MARGIN_UPSTREAM_OPENAI_URL: 'http://127.0.0.1:4010/v1',
        MARGIN_UPSTREAM_ANTHROPIC_URL: 'http://127.0.0.1:4011',
        MARGIN_ADMIN_KEY: 'admin-key-0123456789abcdef',
        MARGIN_DB: '/tmp/margin-env.db',
        MARGIN_PORT: '4444',
        MARGIN_HOST: '0.0.0.0',
      },
    });
    assert.equal(c.providers.openai?.apiKey, 'sk-openai-env');
    assert.equal(c.providers.openai?.baseUrl, 'http://127.0.0.1:4010/v1');
    assert.equal(c.providers.openai?.protocol, 'openai');
    assert.equal(c.providers.anthropic?.apiKey, 'sk-ant-env');
    assert.equal(c.providers.anthropic?.baseUrl, 'http://127.0.0.1:4011');
    assert.equal(c.providers.anthropic?.protocol, 'anthropic');
    assert.equal(c.adminKey, 'admin-key-0123456789abcdef');
    assert.equal(c.db, '/tmp/margin-env.db');
    assert.equal(c.server.port, 4444);
    assert.equal(c.server.host, '0.0.0.0');
  });

  test('defaults with an empty environment: real provider URLs, no keys, admin API off', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.providers.openai?.baseUrl, 'https://api.openai.com/v1');
    assert.equal(c.providers.anthropic?.baseUrl, 'https://api.anthropic.com');
    assert.equal(c.providers.openai?.apiKey, undefined);
    assert.equal(c.providers.anthropic?.apiKey, undefined);
    assert.equal(c.adminKey, undefined);
    assert.equal(c.db, 'margin.db');
    assert.equal(c.server.port, 8787);
    assert.equal(c.server.host, '127.0.0.1');
    // Unset, so the gateway gathers rows for a few ms when journaled (a 0 here made it commit every call).
    assert.equal(c.ledger.maxBatchDelayMs, undefined);
  });

  test('without an explicit env it reads process.env', () => {
    const saved = process.env.MARGIN_DB;
    process.env.MARGIN_DB = '/tmp/from-process-env.db';
    try {
      assert.equal(loadConfig().db, '/tmp/from-process-env.db');
      assert.equal(loadConfig({ env: {} }).db, 'margin.db', 'an explicit env replaces process.env');
    } finally {
      if (saved === undefined) delete process.env.MARGIN_DB;
      else process.env.MARGIN_DB = saved;
    }
  });

  test('invalid environment values are rejected, naming the field and the variable', () => {
    assertConfigError(
      () => loadConfig({ env: { MARGIN_ADMIN_KEY: 'short' } }),
      'environment',
      'adminKey (set by MARGIN_ADMIN_KEY)',
    );
    assertConfigError(
      () => loadConfig({ env: { MARGIN_PORT: 'eighty' } }),
      'environment',
      'server.port (set by MARGIN_PORT)',
    );
    assertConfigError(
      () => loadConfig({ env: { MARGIN_UPSTREAM_OPENAI_URL: 'not a url' } }),
      'providers.openai.baseUrl (set by MARGIN_UPSTREAM_OPENAI_URL)',
    );
  });

  test('the result is deeply frozen', () => {
    const c = loadConfig({ env: { OPENAI_API_KEY: 'sk' } });
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.server));
    assert.ok(Object.isFrozen(c.providers.openai));
    assert.throws(() => {
      (c.server as { port: number }).port = 1;
    }, TypeError);
  });
});

describe('loadConfig: file, environment and flags', () => {
  test('a YAML file declares an openai-compatible provider, overrides and server settings', () => {
    const c = loadConfig({ file: file(GROQ_YAML), env: {} });
    const groq = c.providers.groq;
    assert.ok(groq);
    assert.equal(groq.protocol, 'openai', 'protocol defaults to openai');
    assert.equal(groq.baseUrl, 'https://api.groq.com/openai/v1');
    assert.equal(groq.apiKey, 'gsk_from_file');
    assert.deepEqual(groq.models, ['llama-3', 'mixtral-8x7b']);
    assert.equal(groq.timeoutMs, 600_000);
    assert.equal(c.providers.local?.apiKey, undefined);
    assert.equal(c.server.port, 9000);
    assert.equal(c.server.host, '0.0.0.0');
    assert.equal(c.db, '/var/lib/margin/from-file.db');
    assert.equal(c.pricing.overrides.length, 2);
    assert.equal(c.pricing.overrides[1]?.model, '*', 'an override without model covers every model');
    assert.equal(c.pricing.overrides[1]?.discountPercent, 12.5);
    // Built-ins the file does not mention still exist with their defaults.
    assert.equal(c.providers.anthropic?.baseUrl, 'https://api.anthropic.com');
    // The file's own openai settings are kept when the environment does not set them.
    assert.equal(c.providers.openai?.baseUrl, 'https://openai.example.com/v1');
    assert.equal(c.providers.openai?.apiKey, 'sk-from-file');
  });

  test('a JSON file works too', () => {
    const c = loadConfig({
      file: file(
        JSON.stringify({ providers: { together: { baseUrl: 'https://api.together.xyz/v1' } } }),
        'json',
      ),
      env: {},
    });
    assert.equal(c.providers.together?.baseUrl, 'https://api.together.xyz/v1');
  });

  test('an empty file is an empty config', () => {
    assert.equal(loadConfig({ file: file(''), env: {} }).server.port, 8787);
  });

  test('environment beats the file; flags beat both', () => {
    const f = file(GROQ_YAML);
    const env = {
      MARGIN_PORT: '9100',
      MARGIN_DB: '/tmp/env.db',
      OPENAI_API_KEY: 'sk-env',
      MARGIN_UPSTREAM_OPENAI_URL: 'http://127.0.0.1:1/v1',
    };
    const c = loadConfig({ file: f, env });
    assert.equal(c.server.port, 9100);
    assert.equal(c.db, '/tmp/env.db');
    assert.equal(c.providers.openai?.apiKey, 'sk-env');
    assert.equal(c.providers.openai?.baseUrl, 'http://127.0.0.1:1/v1');
    assert.equal(c.providers.groq?.apiKey, 'gsk_from_file', 'declared providers are untouched by env');
    const flagged = loadConfig({ file: f, env, overrides: { port: 0, host: '::1', db: '/tmp/flag.db' } });
    assert.equal(flagged.server.port, 0);
    assert.equal(flagged.server.host, '::1');
    assert.equal(flagged.db, '/tmp/flag.db');
  });

  test('a flag replaces an invalid file value before validation', () => {
    const f = file('server:\n  port: 99999\n');
    assertConfigError(() => loadConfig({ file: f, env: {} }), 'server.port');
    assert.equal(loadConfig({ file: f, env: {}, overrides: { port: 8080 } }).server.port, 8080);
  });
});

describe('loadConfig: invalid files name the file and the field path', () => {
  test('bad provider baseUrl → providers.groq.baseUrl', () => {
    const f = file('providers:\n  groq:\n    baseUrl: not-a-url\n');
    assertConfigError(() => loadConfig({ file: f, env: {} }), f, 'providers.groq.baseUrl');
  });

  test('port out of range → server.port', () => {
    const f = file('server:\n  port: 70000\n');
    assertConfigError(() => loadConfig({ file: f, env: {} }), f, 'server.port');
  });

  test('unknown keys are rejected and named, at top level and nested', () => {
    const top = file('servr:\n  port: 1\n');
    assertConfigError(() => loadConfig({ file: top, env: {} }), top, 'servr');
    const nested = file('providers:\n  groq:\n    base_url: https://api.groq.com/openai/v1\n');
    assertConfigError(() => loadConfig({ file: nested, env: {} }), nested, 'providers.groq', 'base_url');
    const inServer = file('server:\n  prot: 1\n');
    assertConfigError(() => loadConfig({ file: inServer, env: {} }), inServer, 'server', 'prot');
  });

  test('every issue is listed, not only the first', () => {
    const f = file('server:\n  port: -1\nproviders:\n  groq:\n    baseUrl: nope\n    timeoutMs: 0\n');
    assertConfigError(
      () => loadConfig({ file: f, env: {} }),
      f,
      'server.port',
      'providers.groq.baseUrl',
      'providers.groq.timeoutMs',
    );
  });

  test('a price override needs discountPercent or prices; discount over 100 is refused', () => {
    const f = file('pricing:\n  overrides:\n    - provider: openai\n      model: gpt-4o\n');
    assertConfigError(() => loadConfig({ file: f, env: {} }), f, 'pricing.overrides.0', 'discountPercent');
    const g = file('pricing:\n  overrides:\n    - provider: openai\n      discountPercent: 120\n');
    assertConfigError(() => loadConfig({ file: g, env: {} }), g, 'pricing.overrides.0.discountPercent');
  });

  test('provider ids must be lowercase slugs', () => {
    const f = file('providers:\n  My_Groq:\n    baseUrl: https://api.groq.com/openai/v1\n');
    assertConfigError(() => loadConfig({ file: f, env: {} }), f, 'providers');
  });

  test('unparseable YAML, a non-mapping document and a missing file are ConfigErrors naming the file', () => {
    const bad = file('server: [unclosed\n');
    assertConfigError(() => loadConfig({ file: bad, env: {} }), bad, 'YAML');
    const list = file('- a\n- b\n');
    assertConfigError(() => loadConfig({ file: list, env: {} }), list, 'mapping');
    const missing = join(dir, 'does-not-exist.yaml');
    assertConfigError(() => loadConfig({ file: missing, env: {} }), missing, 'cannot read');
  });

  test('a baseUrl that is not http(s) is refused (the message promises "absolute http(s) URL")', () => {
    for (const u of ['localhost:8080', 'ftp://example.com', 'file:///etc/passwd']) {
      const f = file(`providers:\n  groq:\n    baseUrl: "${u}"\n`);
      assertConfigError(() => loadConfig({ file: f, env: {} }), f, 'providers.groq.baseUrl');
    }
  });
});

describe('ProviderRegistry', () => {
  const registry = () =>
    new ProviderRegistry(
      loadConfig({
        file: file(GROQ_YAML),
        env: { ANTHROPIC_API_KEY: 'sk-ant', MARGIN_UPSTREAM_ANTHROPIC_URL: 'http://127.0.0.1:9' },
      }),
    );

  test('resolve: families, provider/model prefixes, declared models, unknown', () => {
    const r = registry();
    const cases: [string, string | undefined, string | undefined][] = [
      ['claude-sonnet-4-5', 'anthropic', 'claude-sonnet-4-5'],
      ['claude-haiku-4-5-20251001', 'anthropic', 'claude-haiku-4-5-20251001'],
      ['gpt-4o-mini', 'openai', 'gpt-4o-mini'],
      ['gpt-5', 'openai', 'gpt-5'],
      ['o3', 'openai', 'o3'],
      ['o4-mini', 'openai', 'o4-mini'],
      ['groq/llama-3', 'groq', 'llama-3'],
      ['groq/not-declared-but-prefixed', 'groq', 'not-declared-but-prefixed'],
      ['llama-3', 'groq', 'llama-3'],
      ['mixtral-8x7b', 'groq', 'mixtral-8x7b'],
      ['openai/gpt-4o', 'openai', 'gpt-4o'],
      ['anthropic/claude-opus-4-1', 'anthropic', 'claude-opus-4-1'],
      ['local/meta-llama/Llama-3-8B', 'local', 'meta-llama/Llama-3-8B'],
      ['mistral-large-latest', undefined, undefined],
      ['claudette', undefined, undefined],
      ['nosuch/llama-3', undefined, undefined],
      ['', undefined, undefined],
    ];
    for (const [model, provider, upstream] of cases) {
      const t = r.resolve(model);
      assert.equal(t?.provider.id, provider, `${model} → ${provider}`);
      assert.equal(t?.model, upstream, `${model} is sent upstream as ${upstream}`);
    }
  });

  test('protocols come from config: anthropic for the built-in, openai for declared providers', () => {
    const r = registry();
    assert.equal(r.providers.get('anthropic')?.protocol, 'anthropic');
    assert.equal(r.providers.get('openai')?.protocol, 'openai');
    assert.equal(r.providers.get('groq')?.protocol, 'openai');
    assert.equal(r.providers.get('groq')?.catalogProvider, 'groq');
  });

  test('base URLs with or without a trailing /v1 (or slash) give <base>/v1/<path>', () => {
    const bases: [string, string][] = [
      ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
      ['http://127.0.0.1:4010/', 'http://127.0.0.1:4010'],
      ['http://127.0.0.1:4010/v1', 'http://127.0.0.1:4010'],
      ['http://127.0.0.1:4010/v1/', 'http://127.0.0.1:4010'],
      ['https://api.groq.com/openai/v1', 'https://api.groq.com/openai'],
      ['https://api.groq.com/openai', 'https://api.groq.com/openai'],
      ['https://llm.example.com/apiv1', 'https://llm.example.com/apiv1'],
    ];
    for (const [given, root] of bases) {
      const cfg = loadConfig({
        file: file(`providers:\n  groq:\n    baseUrl: "${given}"\n`),
        env: { MARGIN_UPSTREAM_OPENAI_URL: given, MARGIN_UPSTREAM_ANTHROPIC_URL: given },
      });
      const r = new ProviderRegistry(cfg);
      assert.equal(r.providers.get('openai')?.url('chat/completions'), `${root}/v1/chat/completions`, given);
      assert.equal(r.providers.get('groq')?.url('chat/completions'), `${root}/v1/chat/completions`, given);
      assert.equal(r.providers.get('anthropic')?.url('messages'), `${root}/v1/messages`, given);
    }
  });

  test('upstream auth: bearer for openai-compatible, x-api-key + version for anthropic, clear error without a key', () => {
    const r = registry();
    assert.deepEqual(r.providers.get('groq')?.authHeaders({}), { authorization: 'Bearer gsk_from_file' });
    assert.deepEqual(r.providers.get('local')?.authHeaders({}), {}, 'a keyless local server is fine');
    assert.deepEqual(r.providers.get('anthropic')?.authHeaders({}), {
      'x-api-key': 'sk-ant',
      'anthropic-version': '2023-06-01',
    });
    assert.equal(
      r.providers.get('anthropic')?.authHeaders({ 'anthropic-version': '2024-01-01' })['anthropic-version'],
      '2024-01-01',
      "the client's anthropic-version passes through",
    );
    const bare = new ProviderRegistry(loadConfig({ env: {} }));
    for (const [id, envVar] of [
      ['openai', 'OPENAI_API_KEY'],
      ['anthropic', 'ANTHROPIC_API_KEY'],
    ] as const) {
      assert.throws(
        () => bare.providers.get(id)?.authHeaders({}),
        (e: unknown) => e instanceof GatewayError && e.message.includes(envVar),
        `${id} without a key names ${envVar}`,
      );
    }
  });

  test('listModels: catalog models of built-ins plus declared models (prefixed for declared providers)', () => {
    const ids = registry()
      .listModels()
      .map((m) => `${m.provider}:${m.id}`);
    assert.ok(ids.includes('openai:gpt-4o-mini'));
    assert.ok(ids.includes('anthropic:claude-sonnet-4-5'));
    assert.ok(ids.includes('groq:groq/llama-3'));
    assert.ok(ids.includes('groq:groq/mixtral-8x7b'));
  });
});
