// What the report page shows: plain data the economics report and simulator fill in. Validated with
// zod so a missing or wrong field is named (e.g. "sections.2.blocks.0.rows.3: expected 5 cells").
import { z } from 'zod';

/** A table cell: text as given (exact money text stays exact), a number, or an empty cell; a `tone`
 *  colours met/missed targets and under-water rows. */
export const cellSchema = z.union([
  z.string(),
  z.number(),
  z.bigint(),
  z.null(),
  z.object({ text: z.string(), tone: z.enum(['good', 'bad']).optional() }),
]);
export type Cell = z.infer<typeof cellSchema>;

export const columnSchema = z.union([
  z.string(),
  /** `align` defaults to right when every cell of the column is a number or numeric text. */
  z.object({ label: z.string(), align: z.enum(['left', 'right']).optional() }),
]);

export const tableBlockSchema = z
  .object({
    kind: z.literal('table'),
    caption: z.string().optional(),
    columns: z.array(columnSchema).min(1, 'expected at least one column'),
    rows: z.array(z.array(cellSchema)),
  })
  .superRefine((t, ctx) => {
    t.rows.forEach((row, i) => {
      if (row.length !== t.columns.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['rows', i],
          message: `expected ${t.columns.length} cells (one per column), got ${row.length}`,
        });
      }
    });
  });

export const blockSchema = z.union([
  z.object({ kind: z.literal('text'), text: z.string() }),
  z.object({ kind: z.literal('note'), text: z.string() }),
  z.object({ kind: z.literal('heading'), text: z.string() }),
  z.object({ kind: z.literal('list'), items: z.array(z.string()) }),
  tableBlockSchema,
  z.object({
    kind: z.literal('chart'),
    /** The chart's SVG text, as the chart functions return it. */
    svg: z.string(),
    caption: z.string().optional(),
  }),
]);
export type ReportBlock = z.input<typeof blockSchema>;

export const reportPageSchema = z.object({
  title: z.string().min(1, 'expected a title'),
  subtitle: z.string().optional(),
  /** When the report was made: a Date, epoch ms or ISO text; shown in UTC. */
  generatedAt: z.union([z.date(), z.number().int(), z.iso.datetime({ offset: true })]),
  sections: z.array(
    z.object({
      heading: z.string().min(1, 'expected a heading'),
      blocks: z.array(blockSchema),
    }),
  ),
  footer: z.string().optional(),
});
export type ReportPage = z.input<typeof reportPageSchema>;
