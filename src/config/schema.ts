import { z } from 'zod';

// One schema for the config file; environment variables fill in the same shape (see load.ts).
const url = z.string().refine((v) => /^https?:\/\/[^/]/.test(v) && URL.canParse(v), {
  message: 'must be an absolute http(s) URL',
});

export const providerSchema = z
  .object({
    /** Wire protocol the upstream speaks. `openai` covers every OpenAI-compatible server. */
    protocol: z.enum(['openai', 'anthropic']).default('openai'),
    baseUrl: url,
    apiKey: z.string().min(1).optional(),
    /** genai-prices provider id used to price this upstream's models (defaults to the provider's name). */
    catalogProvider: z.string().min(1).optional(),
    /** Extra models this provider serves, for GET /v1/models. */
    models: z.array(z.string().min(1)).default([]),
    timeoutMs: z.number().int().positive().default(600_000),
  })
  .strict();

const priceTable = z
  .object({
    input_mtok: z.number().nonnegative(),
    output_mtok: z.number().nonnegative(),
    cache_write_mtok: z.number().nonnegative().optional(),
    cache_write_1h_mtok: z.number().nonnegative().optional(),
    cache_read_mtok: z.number().nonnegative().optional(),
  })
  .strict();

export const priceOverrideSchema = z
  .object({
    provider: z.string().min(1),
    /** Exact model name or a glob with `*`; omitted = every model of the provider. */
    model: z.string().min(1).default('*'),
    /** Negotiated rate as percent off retail, e.g. 80 for "80% off" (up to two decimals). */
    discountPercent: z.number().min(0).max(100).optional(),
    /** Explicit prices in USD per million tokens; also prices models the catalog does not know. */
    prices: priceTable.optional(),
  })
  .strict()
  .refine((o) => o.discountPercent !== undefined || o.prices !== undefined, {
    message: 'needs discountPercent or prices',
  });

export const configSchema = z
  .object({
    server: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8787),
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(32 * 1024 * 1024),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8787, maxBodyBytes: 32 * 1024 * 1024 }),
    db: z.string().min(1).default('margin.db'),
    adminKey: z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
    providers: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/), providerSchema).default({}),
    pricing: z
      .object({ overrides: z.array(priceOverrideSchema).default([]) })
      .strict()
      .default({ overrides: [] }),
    ledger: z
      .object({
        /** Longest a finished request waits for its ledger row's group commit (ms). */
        maxBatchDelayMs: z.number().int().min(0).max(1000).default(0),
      })
      .strict()
      .default({ maxBatchDelayMs: 0 }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type PriceOverride = z.infer<typeof priceOverrideSchema>;
