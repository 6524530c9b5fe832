import { z } from 'zod';
import { economicsDefaults, economicsSchema } from './economics-schema.js';

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

export const limitsSchema = z
  .object({
    /** Where a gated customer can upgrade; sent in 402 errors and event payloads. */
    upgradeUrl: url.optional(),
    /** Longest a request waits for in-flight reservations to settle before it is refused (ms). */
    maxQueueWaitMs: z.number().int().min(0).max(600_000).default(30_000),
    /** A reservation outlives its provider's timeout by this much before it is treated as orphaned (ms). */
    reservationGraceMs: z.number().int().min(0).default(30_000),
    /** Output tokens reserved when a request sets no max_tokens (OpenAI allows that). */
    defaultMaxOutputTokens: z.number().int().positive().default(4096),
    /** usage.anomaly fires when a day's volume reaches this many times the customer's typical day. */
    anomalyFactor: z.number().positive().default(10),
    /** wallet.low fires below this balance (USD) unless the customer's plan sets walletLowUsd. */
    walletLowUsd: z.number().nonnegative().default(1),
  })
  .strict();

export const webhookEndpointSchema = z
  .object({
    url,
    /** Standard Webhooks secret: `whsec_` followed by base64. */
    secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, { message: 'must be whsec_ followed by base64' }),
    /** Event types sent to this endpoint; omitted = all. */
    events: z.array(z.string().min(1)).optional(),
  })
  .strict();

export const webhookDeliverySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(50).default(10),
    initialBackoffMs: z.number().int().min(0).default(1000),
    maxBackoffMs: z.number().int().min(0).default(3_600_000),
    timeoutMs: z.number().int().positive().default(10_000),
    /** How often the outbox is polled for due deliveries (ms). */
    pollMs: z.number().int().positive().default(500),
  })
  .strict();

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
        /**
         * How long rows gather before a group commit (ms). With the request journal nobody waits for the
         * commit, so the default gathers a few ms of rows per transaction (fewer commits and thread
         * wake-ups competing with calls); without it (an in-memory ledger) each call waits, so 0.
         */
        maxBatchDelayMs: z.number().int().min(0).max(1000).optional(),
        /** The request journal's directory (default: the ledger file's path + `.journal`). */
        journalDir: z.string().min(1).optional(),
        /** A journal segment is closed past this size and deleted once all of it is in the ledger. */
        journalSegmentBytes: z
          .number()
          .int()
          .min(4096)
          .max(1024 ** 3)
          .default(8 * 1024 * 1024),
        /** Disk space the journal holds back for calls in flight when the disk fills. */
        journalReserveBytes: z
          .number()
          .int()
          .min(0)
          .max(1024 ** 3)
          .default(1024 * 1024),
        /**
         * Keep raw ledger rows this many whole UTC days before today; older ones are pruned once a day
         * (their figures stay in the rollups). Unset: raw rows are kept forever.
         */
        retainDays: z.number().int().min(1).optional(),
      })
      .strict()
      // No maxBatchDelayMs here: left unset, the gateway picks it by whether a journal is kept.
      .default({
        journalSegmentBytes: 8 * 1024 * 1024,
        journalReserveBytes: 1024 * 1024,
      }),
    /** plans.yaml applied at start-up (the same as `margin plans apply`), when set. */
    plansFile: z.string().min(1).optional(),
    limits: limitsSchema.default(limitsSchema.parse({})),
    webhooks: z.array(webhookEndpointSchema).default([]),
    webhookDelivery: webhookDeliverySchema.default(webhookDeliverySchema.parse({})),
    economics: economicsSchema.default(economicsDefaults()),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type PriceOverride = z.infer<typeof priceOverrideSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;
export type WebhookDeliveryConfig = z.infer<typeof webhookDeliverySchema>;
export type { EconomicsConfig } from './economics-schema.js';
